//! Random ids and tokens in the shapes Infobip gives them. A leaf: the stores of every product
//! make ids, and none of them should have to import another store to do so.

/// Lower-case hex of `bytes` random bytes. fastrand is not a CSPRNG; these tokens only guard
/// a local test double, and unpredictability across runs is all the tests need.
pub(crate) fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// A version-4-looking UUID, the shape of Infobip's session tokens.
pub(crate) fn random_uuid() -> String {
    let hex = random_hex(16);
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        8 + fastrand::u8(..4),
        &hex[17..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_have_the_v4_shape() {
        let id = random_uuid();
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'));
        assert_ne!(random_uuid(), id);
    }
}
