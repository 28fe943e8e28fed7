//! Commands' short names (`infobip sms logs`, `infobip account balance`): the rule the import
//! derives them by, and the check regeneration makes of them.
//!
//! A name is written into the description as `x-cli-name` on its operation, so that a refresh
//! of Infobip's documents never renames a command: `cargo xtask import` keeps the name an
//! operation (same product, same operationId) already has and derives one only for a new
//! operation; an overlay (`spec/overlays/<product>.yaml`) may set one by hand. Regeneration
//! reads the names as they are, never derives one: an operation without `x-cli-name` is named
//! after its operationId. Whatever its name, a command is also reachable by its operationId.
//!
//! The rule, for an operationId's words (`get-outbound-sms-message-delivery-reports-v3` in the
//! `sms` product):
//! 1. a leading `deprecated` is dropped, and so is a trailing version (`v3`);
//! 2. the first word is the verb (`get`); the words from the first preposition on (`by`,
//!    `over`, `for`, `with`, `from`, `via`) are the qualifier (`over-voice` in
//!    `send-2fa-pin-code-over-voice`); the product's own words (`sms`) leave the rest, the
//!    nouns (`outbound message delivery reports`);
//! 3. the candidates are the last noun, then the last noun and the qualifier, then the last two
//!    nouns, then those and the qualifier, and so on; each led by the verb unless the verb is
//!    `get`, a read being what a bare noun asks for (`reports`, `create-key`,
//!    `send-code-over-voice`); the operationId itself comes last;
//! 4. the operations are named one at a time, each taking its first candidate that is free: not
//!    a name already given, not another operation's operationId (those stay aliases), not a
//!    command written by hand under the product ([`HAND_WRITTEN`]: `sms send`) and not clap's
//!    `help`. Operations that are not deprecated go first, then in the description's order,
//!    so that the shortest names go to the current operations;
//! 5. an operation that a newer version replaces (the same words, a lower or no version:
//!    `get-outbound-sms-message-logs` beside `...-logs-v3`) gets no short name: its name is its
//!    operationId, so that `logs` always means the newest.

use std::collections::{BTreeMap, BTreeSet};

/// The operation's extension that holds its command's name.
pub const NAME_KEY: &str = "x-cli-name";

/// The subcommands the command line writes by hand under a product's generated command
/// (`cli/src/commands/mod.rs`, `extend_product`): no operation may take their names.
pub const HAND_WRITTEN: &[(&str, &[&str])] = &[("sms", &["send"])];

/// Names clap gives every command with subcommands.
const CLAP_NAMES: &[&str] = &["help"];

/// Words after which an operationId says how or by what, not what.
const PREPOSITIONS: &[&str] = &["by", "over", "for", "with", "from", "via"];

/// The verb a bare noun stands for.
const READ_VERB: &str = "get";

/// An operation to name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unnamed<'a> {
    /// Its operationId.
    pub operation_id: &'a str,
    /// Whether the description marks it deprecated.
    pub deprecated: bool,
    /// The name it already has (`x-cli-name` in the description being refreshed), kept if it
    /// is still free.
    pub kept: Option<&'a str>,
}

/// The names a product's commands cannot take besides its operations' own.
pub fn hand_written(product: &str) -> impl Iterator<Item = &'static str> + '_ {
    HAND_WRITTEN
        .iter()
        .filter(move |(p, _)| *p == product)
        .flat_map(|(_, names)| names.iter().copied())
        .chain(CLAP_NAMES.iter().copied())
}

/// Every operation's name, by operationId, for the operations of `product` in the
/// description's order.
pub fn derive(product: &str, operations: &[Unnamed<'_>]) -> BTreeMap<String, String> {
    let ids: BTreeSet<&str> = operations.iter().map(|o| o.operation_id).collect();
    let mut taken: BTreeSet<String> = hand_written(product).map(str::to_owned).collect();
    let mut names = BTreeMap::new();
    // Kept names first: a name given once is never given to another operation.
    for op in operations {
        let Some(kept) = op.kept else { continue };
        let free = !taken.contains(kept) && (kept == op.operation_id || !ids.contains(kept));
        if free {
            taken.insert(kept.to_owned());
            names.insert(op.operation_id.to_owned(), kept.to_owned());
        }
    }
    let mut order: Vec<&Unnamed<'_>> = operations
        .iter()
        .filter(|op| !names.contains_key(op.operation_id))
        .collect();
    order.sort_by_key(|op| op.deprecated || op.operation_id.starts_with("deprecated-"));
    for op in order {
        let name = if is_superseded(op.operation_id, &ids) {
            op.operation_id.to_owned()
        } else {
            candidates(product, op.operation_id)
                .into_iter()
                .find(|c| !taken.contains(c) && (c == op.operation_id || !ids.contains(c.as_str())))
                .unwrap_or_else(|| op.operation_id.to_owned())
        };
        taken.insert(name.clone());
        names.insert(op.operation_id.to_owned(), name);
    }
    names
}

/// The words of an operationId without a leading `deprecated` and a trailing version, and
/// the version (0 for none).
fn unversioned(operation_id: &str) -> (Vec<&str>, u32) {
    let mut words: Vec<&str> = operation_id.split('-').collect();
    if words.len() > 1 && words[0] == "deprecated" {
        words.remove(0);
    }
    let version = words
        .last()
        .and_then(|w| w.strip_prefix('v'))
        .and_then(|n| n.parse::<u32>().ok());
    match version {
        Some(version) if words.len() > 1 => {
            words.pop();
            (words, version)
        }
        _ => (words, 0),
    }
}

/// Whether another operation has the same words and a higher version.
fn is_superseded(operation_id: &str, ids: &BTreeSet<&str>) -> bool {
    let (words, version) = unversioned(operation_id);
    ids.iter().any(|other| {
        let (other_words, other_version) = unversioned(other);
        other_words == words && other_version > version
    })
}

/// An operation's candidate names, best first, its operationId last (see the module
/// documentation).
pub fn candidates(product: &str, operation_id: &str) -> Vec<String> {
    let (words, _) = unversioned(operation_id);
    let product_words: Vec<&str> = product.split('-').collect();
    let Some((verb, rest)) = words.split_first() else {
        return vec![operation_id.to_owned()];
    };
    let cut = rest
        .iter()
        .position(|w| PREPOSITIONS.contains(w))
        .unwrap_or(rest.len());
    let (nouns, qualifier) = rest.split_at(cut);
    let nouns: Vec<&str> = nouns
        .iter()
        .copied()
        .filter(|w| !product_words.contains(w))
        .collect();
    let lead: Vec<&str> = if *verb == READ_VERB {
        Vec::new()
    } else {
        vec![*verb]
    };
    let mut found = Vec::new();
    let mut push = |words: Vec<&str>| {
        if !words.is_empty() {
            let name = words.join("-");
            if !found.contains(&name) {
                found.push(name);
            }
        }
    };
    if nouns.is_empty() && !lead.is_empty() {
        push(lead.clone());
        push([lead.as_slice(), qualifier].concat());
    }
    for k in 1..=nouns.len() {
        let tail = &nouns[nouns.len() - k..];
        push([lead.as_slice(), tail].concat());
        if !qualifier.is_empty() {
            push([lead.as_slice(), tail, qualifier].concat());
        }
    }
    push(vec![operation_id]);
    found
}

/// Two operations, or an operation and a hand-written command, that would answer to one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clash {
    /// The name.
    pub name: String,
    /// What holds it first: an operationId in backquotes, or `a hand-written command`.
    pub first: String,
    /// The operation that wants it too.
    pub second: String,
}

/// Checks that the names and operationIds of a product's commands (operationId, `x-cli-name`
/// if any, in the description's order) answer to one command each, and that none is a
/// hand-written command's.
pub fn check(product: &str, operations: &[(&str, Option<&str>)]) -> Result<(), Clash> {
    let mut owners: BTreeMap<String, String> = hand_written(product)
        .map(|name| (name.to_owned(), String::from("a hand-written command")))
        .collect();
    for (id, name) in operations {
        let mut own = vec![*id];
        if let Some(name) = name {
            if name != id {
                own.push(name);
            }
        }
        for word in own {
            if let Some(first) = owners.insert(word.to_owned(), format!("`{id}`")) {
                return Err(Clash {
                    name: word.to_owned(),
                    first,
                    second: (*id).to_owned(),
                });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidates_start_with_the_last_noun() {
        assert_eq!(
            candidates("sms", "get-outbound-sms-message-logs-v3")[..2],
            ["logs", "message-logs"]
        );
        assert_eq!(
            candidates("two-factor", "send-2fa-pin-code-over-voice")[..3],
            ["send-code", "send-code-over-voice", "send-pin-code"]
        );
        assert_eq!(candidates("sms", "send-sms")[0], "send");
        assert_eq!(candidates("sms", "get-sms"), ["get-sms"]);
    }

    #[test]
    fn a_version_word_alone_is_a_word() {
        assert_eq!(unversioned("v2"), (vec!["v2"], 0));
        assert_eq!(
            unversioned("deprecated-get-logs-v2"),
            (vec!["get", "logs"], 2)
        );
    }
}
