//! The operator's command and how it goes wrong: keystroke-level typos in the number,
//! a selector that matches more than meant, and the removal that results.
//!
//! This module only draws what was typed and what it removes; what the removal does
//! to the system is the engine's business.

mod command;
mod keystrokes;

pub use command::{
    apportion, read_count, Action, Command, EachServer, Selector, SelectorMatch, TargetTypos,
    TypedInput,
};
pub use keystrokes::{neighbours, pick_weighted, NumberTypos, TypoKind};
