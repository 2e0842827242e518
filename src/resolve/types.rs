//! SQL types: the column type of a param, and which types a row may be ordered by.

use crate::model::SqlType;
use crate::spec::ParamType;

pub(super) fn is_scalar(ty: &SqlType) -> bool {
    !matches!(ty, SqlType::Array(_) | SqlType::Struct(_))
}

pub(crate) fn param_sql_type(ty: ParamType) -> SqlType {
    match ty {
        ParamType::String | ParamType::Any | ParamType::Text => SqlType::String,
        ParamType::Int64 => SqlType::Int64,
        ParamType::Float64 | ParamType::Number => SqlType::Float64,
        ParamType::Bool => SqlType::Bool,
    }
}

#[cfg(test)]
mod tests {
    use super::{is_scalar, param_sql_type};
    use crate::model::SqlType;
    use crate::spec::ParamType;

    #[test]
    fn param_types_map_to_sql_types() {
        assert_eq!(param_sql_type(ParamType::Any), SqlType::String);
        assert_eq!(param_sql_type(ParamType::Number), SqlType::Float64);
        assert_eq!(param_sql_type(ParamType::Float64), SqlType::Float64);
        assert_eq!(param_sql_type(ParamType::Int64), SqlType::Int64);
        assert_eq!(param_sql_type(ParamType::Bool), SqlType::Bool);
    }

    #[test]
    fn arrays_and_structs_are_not_scalar() {
        assert!(is_scalar(&SqlType::Timestamp));
        assert!(!is_scalar(&SqlType::Array(Box::new(SqlType::String))));
        assert!(!is_scalar(&SqlType::Struct(vec![(
            "a".into(),
            SqlType::Int64
        )])));
    }
}
