//! SQL types: the column type of a param, and which types a row may be ordered by.

use crate::model::SqlType;
use crate::spec::ParamType;

pub(super) fn is_scalar(ty: &SqlType) -> bool {
    !matches!(ty, SqlType::Array(_) | SqlType::Struct(_))
}

pub(crate) fn param_sql_type(ty: ParamType) -> SqlType {
    match ty {
        ParamType::String | ParamType::Any => SqlType::String,
        ParamType::Int64 => SqlType::Int64,
        ParamType::Float64 | ParamType::Number => SqlType::Float64,
        ParamType::Bool => SqlType::Bool,
    }
}
