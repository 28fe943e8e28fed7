//! PINs and the application's time settings: the PIN generator for each `pinType`, and the
//! readers of `pinTimeToLive` (`15m`) and of the limits (`1/3s`, `10000/1d`).

use super::bodies::PinType;
use chrono::TimeDelta;

/// The characters of each `pinType`. Infobip's documents name the types only; the sandbox
/// uses upper-case letters for ALPHA, HEX and ALPHANUMERIC.
fn alphabet(pin_type: PinType) -> &'static [u8] {
    match pin_type {
        PinType::Numeric => b"0123456789",
        PinType::Alpha => b"ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        PinType::Hex => b"0123456789ABCDEF",
        PinType::Alphanumeric => b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    }
}

/// The shortest and longest PIN the sandbox makes (Infobip documents no bounds).
pub(crate) const PIN_LENGTHS: std::ops::RangeInclusive<i32> = 1..=16;
/// `pinLength` when a template gives none (the description's default for email templates).
pub(crate) const DEFAULT_PIN_LENGTH: i32 = 4;

/// A random PIN of `length` characters of `pin_type`'s alphabet; `None` for a length outside
/// [`PIN_LENGTHS`]. fastrand is not a CSPRNG: these
/// PINs guard nothing but a test double.
pub(crate) fn generate(pin_type: PinType, length: i32) -> Option<String> {
    let alphabet = alphabet(pin_type);
    if !PIN_LENGTHS.contains(&length) {
        return None;
    }
    Some(
        (0..length)
            .map(|_| char::from(alphabet[fastrand::usize(..alphabet.len())]))
            .collect(),
    )
}

/// A time length such as `15m`, `3s`, `1d` or `500ms`: digits, then `ms`, `s`, `m`, `h` or
/// `d`, more than zero.
pub(crate) fn parse_duration(text: &str) -> Option<TimeDelta> {
    let digits = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(digits);
    let number: i64 = number.parse().ok().filter(|n| *n > 0)?;
    let delta = match unit {
        "ms" => TimeDelta::try_milliseconds(number),
        "s" => TimeDelta::try_seconds(number),
        "m" => TimeDelta::try_minutes(number),
        "h" => TimeDelta::try_hours(number),
        "d" => TimeDelta::try_days(number),
        _ => None,
    }?;
    Some(delta)
}

/// A limit such as `3/1d`: at most `count` calls in any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limit {
    pub count: usize,
    pub window: TimeDelta,
}

impl Limit {
    /// `count/window`, the count more than zero; the window's length may be left out (`3/d`).
    pub fn parse(text: &str) -> Option<Limit> {
        let (count, window) = text.split_once('/')?;
        let count: usize = count.parse().ok().filter(|c| *c > 0)?;
        let window = if window.starts_with(|c: char| c.is_ascii_digit()) {
            parse_duration(window)?
        } else {
            parse_duration(&format!("1{window}"))?
        };
        Some(Limit { count, window })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pin_type_uses_its_own_alphabet_and_the_length_asked_for() {
        type Allowed = fn(char) -> bool;
        let cases: [(PinType, Allowed); 4] = [
            (PinType::Numeric, |c| c.is_ascii_digit()),
            (PinType::Alpha, |c| c.is_ascii_uppercase()),
            (PinType::Hex, |c| {
                c.is_ascii_digit() || ('A'..='F').contains(&c)
            }),
            (PinType::Alphanumeric, |c| {
                c.is_ascii_digit() || c.is_ascii_uppercase()
            }),
        ];
        for (pin_type, allowed) in cases {
            for length in [1, 4, 6, 16] {
                for _ in 0..50 {
                    let pin = generate(pin_type, length).unwrap_or_default();
                    assert_eq!(pin.chars().count(), length as usize, "{pin_type:?} {pin}");
                    assert!(pin.chars().all(allowed), "{pin_type:?} {pin}");
                }
            }
        }
    }

    #[test]
    fn pins_vary_and_cover_the_alphabet() {
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2000 {
            seen.extend(generate(PinType::Hex, 4).unwrap_or_default().chars());
        }
        assert_eq!(seen.len(), 16);
        let pins: std::collections::BTreeSet<String> = (0..20)
            .filter_map(|_| generate(PinType::Numeric, 8))
            .collect();
        assert!(pins.len() > 1);
    }

    #[test]
    fn lengths_outside_the_range_make_no_pin() {
        assert_eq!(generate(PinType::Numeric, 0), None);
        assert_eq!(generate(PinType::Numeric, 17), None);
        assert_eq!(generate(PinType::Numeric, -3), None);
    }

    #[test]
    fn durations_and_limits_read_infobips_notation() {
        assert_eq!(parse_duration("15m"), Some(TimeDelta::minutes(15)));
        assert_eq!(parse_duration("500ms"), Some(TimeDelta::milliseconds(500)));
        assert_eq!(parse_duration("2d"), Some(TimeDelta::days(2)));
        for bad in ["", "m", "15", "0m", "15y", "-1m", "1.5m"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
        assert_eq!(
            Limit::parse("1/3s"),
            Some(Limit {
                count: 1,
                window: TimeDelta::seconds(3)
            })
        );
        assert_eq!(
            Limit::parse("10000/d"),
            Some(Limit {
                count: 10000,
                window: TimeDelta::days(1)
            })
        );
        for bad in ["", "3", "0/1d", "x/1d", "3/0d", "3/1y"] {
            assert_eq!(Limit::parse(bad), None, "{bad}");
        }
    }
}
