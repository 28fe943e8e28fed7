//! How many times each described operation was called on one sandbox. A file of its own: the
//! sandbox's state holds the counts, and the state must not use the file of the handler that
//! reads the state (`described/mod.rs`).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use super::answer::Shape;

/// How many times each described operation was called on one sandbox: its next answer's
/// shape. One entry per operation at most, so it stays small however long the sandbox runs.
#[derive(Debug, Default)]
pub(crate) struct Calls(Mutex<HashMap<(&'static str, String), u64>>);

impl Calls {
    /// The shape of this call's answer, counting it.
    pub(crate) fn next(&self, product: &'static str, id: &str) -> Shape {
        let mut calls = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let count = calls.entry((product, id.to_owned())).or_insert(0);
        let shape = Shape::of_call(*count);
        *count += 1;
        shape
    }
}
