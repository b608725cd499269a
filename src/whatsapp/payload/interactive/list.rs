//! List messages (Meta's interactive-list-messages page): a button that opens up to ten
//! sections of rows, ten rows in all.

use std::collections::HashSet;

use serde_json::{Map, Value};

use crate::whatsapp::error::GraphError;
use crate::whatsapp::payload::Found;
use crate::whatsapp::payload::fields::{
    as_array, as_object, index, key, length_between, optional_str, required, required_str,
    required_text,
};

const LIST_BUTTON_MAX: usize = 20;
const SECTIONS_MAX: usize = 10;
/// Across all sections together, not per section (Meta's list-messages page; "Total row count
/// exceed max allowed count: 10" is what Meta answers).
const ROWS_MAX: usize = 10;
const SECTION_TITLE_MAX: usize = 24;
const ROW_ID_MAX: usize = 200;
const ROW_TITLE_MAX: usize = 24;
const ROW_DESCRIPTION_MAX: usize = 72;

pub(super) fn action(action: &Map<String, Value>, found: &mut Found) -> Result<(), GraphError> {
    let label = required_text(action, "button", "interactive['action']['button']")?;
    length_between(label, LIST_BUTTON_MAX, "Button label")?;
    found.line(label);

    let path = "interactive['action']['sections']";
    let sections = as_array(required(action, "sections", path)?, path)?;
    if sections.is_empty() || sections.len() > SECTIONS_MAX {
        return Err(GraphError::invalid_value(format!(
            "Invalid sections count. Min allowed sections: 1, Max allowed sections: \
             {SECTIONS_MAX}"
        )));
    }
    // Meta checks the total before looking at any row.
    let total_rows: usize = sections
        .iter()
        .filter_map(|s| s.get("rows").and_then(Value::as_array))
        .map(Vec::len)
        .sum();
    if total_rows > ROWS_MAX {
        return Err(GraphError::invalid_value(format!(
            "Total row count exceed max allowed count: {ROWS_MAX}"
        )));
    }

    let mut ids = HashSet::new();
    for (i, section) in sections.iter().enumerate() {
        let section_path = index(path, i);
        let section = as_object(section, &section_path)?;
        let title_path = key(&section_path, "title");
        let title = if sections.len() > 1 {
            Some(required_str(section, "title", &title_path)?)
        } else {
            optional_str(section, "title", &title_path)?
        };
        if let Some(title) = title {
            too_long(title, SECTION_TITLE_MAX, "Section title")?;
            found.line(title);
        }
        let rows_path = key(&section_path, "rows");
        let rows = as_array(required(section, "rows", &rows_path)?, &rows_path)?;
        if rows.is_empty() {
            return Err(GraphError::invalid_value(format!(
                "Param {rows_path} must contain at least 1 row."
            )));
        }
        for (j, row) in rows.iter().enumerate() {
            let row_path = index(&rows_path, j);
            let row = as_object(row, &row_path)?;
            let id = required_str(row, "id", &key(&row_path, "id"))?;
            too_long(id, ROW_ID_MAX, "Row id")?;
            if !ids.insert(id) {
                return Err(GraphError::invalid_value(format!(
                    "Duplicate row id \"{id}\": row ids must be unique across all sections."
                )));
            }
            let title = required_str(row, "title", &key(&row_path, "title"))?;
            too_long(title, ROW_TITLE_MAX, "Row title")?;
            found.line(title);
            if let Some(description) =
                optional_str(row, "description", &key(&row_path, "description"))?
            {
                too_long(description, ROW_DESCRIPTION_MAX, "Row description")?;
                found.line(description);
            }
        }
    }
    Ok(())
}

/// A list's field over its limit, in Meta's words: `Row title is too long. Max length is 24`.
fn too_long(text: &str, max: usize, what: &str) -> Result<(), GraphError> {
    if text.chars().count() > max {
        return Err(GraphError::invalid_value(format!(
            "{what} is too long. Max length is {max}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::whatsapp::payload::testing::{content_of, error_of, message_of, send};

    fn list_with_rows(per_section: &[usize]) -> Value {
        let sections: Vec<Value> = per_section
            .iter()
            .enumerate()
            .map(|(s, &rows)| {
                let rows: Vec<Value> = (0..rows)
                    .map(|r| json!({"id": format!("s{s}r{r}"), "title": format!("Row {r}")}))
                    .collect();
                json!({"title": format!("Section {s}"), "rows": rows})
            })
            .collect();
        send(
            "interactive",
            json!({"type": "list", "body": {"text": "Choose"}, "action": {"button": "Menu", "sections": sections}}),
        )
    }

    #[test]
    fn ten_list_rows_pass_and_eleven_fail_across_sections() {
        let message = message_of(list_with_rows(&[5, 5]));
        assert_eq!(content_of(&message)["type"], "list");
        let error = error_of(list_with_rows(&[6, 5]));
        assert_eq!(error.code, 131009);
        assert_eq!(
            error.details,
            "Total row count exceed max allowed count: 10"
        );
        assert_eq!(error_of(list_with_rows(&[])).code, 131009);
        assert_eq!(error_of(list_with_rows(&[1; 11])).code, 131009);
    }

    #[test]
    fn list_row_limits() {
        let with_row = |row: Value| {
            send(
                "interactive",
                json!({"type": "list", "body": {"text": "?"}, "action": {"button": "Go", "sections": [{"rows": [row]}]}}),
            )
        };
        message_of(with_row(
            json!({"id": "r", "title": "t".repeat(24), "description": "d".repeat(72)}),
        ));
        let error = error_of(with_row(json!({"id": "r", "title": "t".repeat(25)})));
        assert_eq!(
            (error.code, error.details.as_str()),
            (131009, "Row title is too long. Max length is 24")
        );
        let error = error_of(with_row(
            json!({"id": "r", "title": "t", "description": "d".repeat(73)}),
        ));
        assert_eq!(
            error.details,
            "Row description is too long. Max length is 72"
        );
        assert_eq!(
            error_of(with_row(json!({"id": "r".repeat(201), "title": "t"}))).code,
            131009
        );
        assert_eq!(error_of(with_row(json!({"title": "t"}))).code, 131008);
    }

    #[test]
    fn list_sections_need_titles_when_several_and_unique_row_ids() {
        let untitled = send(
            "interactive",
            json!({"type": "list", "body": {"text": "?"}, "action": {"button": "Go", "sections": [
                {"title": "A", "rows": [{"id": "1", "title": "x"}]},
                {"rows": [{"id": "2", "title": "y"}]}]}}),
        );
        let error = error_of(untitled);
        assert_eq!(error.code, 131008);
        assert_eq!(
            error.details,
            "The parameter interactive['action']['sections'][1]['title'] is required."
        );
        let duplicate = send(
            "interactive",
            json!({"type": "list", "body": {"text": "?"}, "action": {"button": "Go", "sections": [
                {"title": "A", "rows": [{"id": "1", "title": "x"}]},
                {"title": "B", "rows": [{"id": "1", "title": "y"}]}]}}),
        );
        assert_eq!(error_of(duplicate).code, 131009);
        let long_label = send(
            "interactive",
            json!({"type": "list", "body": {"text": "?"}, "action": {"button": "b".repeat(21), "sections": [
                {"rows": [{"id": "1", "title": "x"}]}]}}),
        );
        assert_eq!(error_of(long_label).code, 131009);
    }

    #[test]
    fn list_summary_holds_every_visible_text() {
        let message = message_of(send(
            "interactive",
            json!({
                "type": "list",
                "header": {"type": "text", "text": "Your account"},
                "body": {"text": "What would you like to do?"},
                "footer": {"text": "Credex"},
                "action": {"button": "Options", "sections": [
                    {"title": "Money", "rows": [
                        {"id": "pay", "title": "Pay", "description": "Send a payment"},
                        {"id": "balance", "title": "Balance"}]},
                    {"title": "Help", "rows": [{"id": "help", "title": "Talk to us"}]}]}
            }),
        ));
        assert_eq!(
            message.summary,
            "Your account\nWhat would you like to do?\nCredex\nOptions\nMoney\nPay\nSend a payment\nBalance\nHelp\nTalk to us"
        );
        assert!(message.summary.lines().any(|line| line == "Pay"));
    }
}
