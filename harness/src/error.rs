//! Errors for invalid target specifications: each names the field and its allowed range.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq)]
pub enum TargetError {
    #[error("unknown target `{name}`: expected one of {allowed}")]
    UnknownTarget { name: String, allowed: String },
    #[error("invalid `{field}` = {value}: allowed range is {range}")]
    OutOfRange {
        field: &'static str,
        value: String,
        range: String,
    },
}

impl TargetError {
    pub fn range(field: &'static str, value: impl ToString, range: impl ToString) -> Self {
        TargetError::OutOfRange {
            field,
            value: value.to_string(),
            range: range.to_string(),
        }
    }
}
