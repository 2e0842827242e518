//! The `items` array: dropped, kept as is, or exploded into one row per item with item columns.

use crate::diagnostics::did_you_mean;
use crate::ga4::{self, DEFAULT_ITEM_FIELDS};
use crate::model::{Column, Origin, SqlType};
use crate::spec::{Items, Params};

use super::columns::Columns;
use super::event::EventCtx;

impl EventCtx<'_> {
    pub(super) fn items(
        &mut self,
        items: Items,
        fields: &Option<Vec<String>>,
        params: &Params,
        event: &str,
        columns: &mut Columns,
    ) {
        if items != Items::Explode {
            if fields.is_some() {
                self.error(
                    "item_fields",
                    "`item_fields` needs `items: explode`",
                    "add `items: explode` or remove `item_fields`",
                );
            }
            if !params.is_empty() {
                self.error(
                    "item_params",
                    "`item_params` needs `items: explode`",
                    "add `items: explode` or remove `item_params`",
                );
            }
            if items == Items::Keep {
                let column = Column {
                    name: "items".into(),
                    ty: ga4::catalog().items_type.clone(),
                    origin: Origin::Items,
                };
                self.add(columns, column, "items", "the `items` array".into());
            }
            return;
        }
        let index = Column {
            name: "item_index".into(),
            ty: SqlType::Int64,
            origin: Origin::ItemIndex,
        };
        self.add(columns, index, "items", "the item position".into());
        let default: Vec<String> = DEFAULT_ITEM_FIELDS.iter().map(|s| s.to_string()).collect();
        for (i, field) in fields.as_ref().unwrap_or(&default).iter().enumerate() {
            let path = format!("item_fields[{i}]");
            match ga4::catalog().item_field(field) {
                Some(f) => {
                    let name = if field.starts_with("item_") {
                        field.clone()
                    } else {
                        format!("item_{field}")
                    };
                    let column = Column {
                        name,
                        ty: f.ty.clone(),
                        origin: Origin::ItemField {
                            field: field.clone(),
                        },
                    };
                    self.add(columns, column, &path, format!("item field `{field}`"));
                }
                None => {
                    let known = ga4::catalog().item_fields.iter().map(|f| f.path.as_str());
                    let hint = match did_you_mean(field, known) {
                        Some(close) => format!("did you mean `{close}`?"),
                        None => {
                            "name a field of the export's `items` records, e.g. `item_id`, `price`"
                                .into()
                        }
                    };
                    self.error(&path, format!("unknown item field `{field}`"), hint);
                }
            }
        }
        self.params("item_params", "item_params", params, event, columns);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{error, table, FILE};
    use crate::model::{Origin, SqlType};

    #[test]
    fn exploded_items_get_an_index_and_item_columns() {
        let t = table(
            FILE,
            "event: a\nitems: explode\nitem_fields: [price, item_id]\n",
        );
        assert_eq!(t.column("item_index").unwrap().origin, Origin::ItemIndex);
        let price = t.column("item_price").unwrap();
        assert_eq!(
            price.origin,
            Origin::ItemField {
                field: "price".into()
            }
        );
        assert!(t.column("item_id").is_some());
        assert!(t.column("item_name").is_none());
        assert!(t.explode_items);
        let d = error(FILE, "event: a\nitems: explode\nitem_fields: [prize]\n");
        assert_eq!(d.message, "unknown item field `prize`");
    }

    #[test]
    fn item_settings_need_explode_and_keep_keeps_the_array() {
        let d = error(FILE, "event: a\nitem_fields: [price]\n");
        assert_eq!(d.message, "`item_fields` needs `items: explode`");
        let t = table(FILE, "event: a\nitems: keep\n");
        let items = t.column("items").unwrap();
        assert_eq!(items.origin, Origin::Items);
        assert!(matches!(items.ty, SqlType::Array(_)));
        assert!(t.column("item_index").is_none());
    }
}
