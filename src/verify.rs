//! Every generated script is parsed as BigQuery SQL before anything is written, so a template
//! that emits broken SQL fails the build instead of a scheduled job.

use sqlparser::dialect::BigQueryDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// Parses `sql` as a BigQuery script; the error names the line and column of the fault.
pub(crate) fn parse_script(sql: &str) -> Result<usize, String> {
    let dialect = BigQueryDialect {};
    let tokens = Tokenizer::new(&dialect, sql)
        .tokenize_with_location()
        .map_err(|e| e.to_string())?;
    let tokens = rewrite_set_options(rewrite_while_loops(tokens)?);
    let statements = Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map_err(|e| e.to_string())?;
    Ok(statements.len())
}

/// sqlparser has no `WHILE cond DO … END WHILE`. It has `IF cond THEN … END IF`, which has the same
/// shape (a condition and a statement list), so loops are checked as that. Done on tokens, never
/// on text, so a `WHILE` inside a string or identifier is untouched.
fn rewrite_while_loops(mut tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>, String> {
    let is = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let mut open = Vec::new();
    for i in 0..tokens.len() {
        if is(&tokens[i].token, Keyword::WHILE) {
            let previous = tokens[..i]
                .iter()
                .rev()
                .find(|t| !matches!(t.token, Token::Whitespace(_)));
            // `END WHILE` closes a loop; any other `WHILE` opens one and waits for its `DO`.
            if !previous.is_some_and(|t| is(&t.token, Keyword::END)) {
                open.push(i);
            }
            tokens[i].token = Token::make_keyword("IF");
        } else if is(&tokens[i].token, Keyword::DO) && open.pop().is_some() {
            tokens[i].token = Token::make_keyword("THEN");
        }
    }
    if let Some(&i) = open.first() {
        let at = tokens[i].span.start;
        return Err(format!(
            "WHILE without DO at Line: {}, Column: {}",
            at.line, at.column
        ));
    }
    Ok(tokens)
}

/// sqlparser reads BigQuery's `ALTER TABLE … SET OPTIONS (k = v, …)` as the `SET (k = v, …)` it
/// knows from other dialects; the option list is parsed the same way.
fn rewrite_set_options(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let word = |t: &Token, k: Keyword| matches!(t, Token::Word(w) if w.keyword == k && w.quote_style.is_none());
    let mut after_set = false;
    for token in tokens.iter_mut() {
        if matches!(token.token, Token::Whitespace(_)) {
            continue;
        }
        if after_set && word(&token.token, Keyword::OPTIONS) {
            token.token = Token::Whitespace(sqlparser::tokenizer::Whitespace::Space);
        }
        after_set = word(&token.token, Keyword::SET);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_with_loops_and_handlers_parse() {
        let sql = "DECLARE d DATE DEFAULT DATE '2025-01-01';\n\
                   WHILE d <= DATE '2025-01-03' DO\n  SET d = DATE_ADD(d, INTERVAL 1 DAY);\nEND WHILE;\n\
                   BEGIN\n  BEGIN TRANSACTION;\n  SELECT 'while x do', `while`;\n  COMMIT TRANSACTION;\n\
                   EXCEPTION WHEN ERROR THEN\n  ROLLBACK TRANSACTION;\n  RAISE USING MESSAGE = @@error.message;\nEND;\n";
        assert_eq!(parse_script(sql), Ok(3));
    }

    #[test]
    fn alter_table_set_options_parses() {
        let sql = "ALTER TABLE `p.d.t` ADD COLUMN IF NOT EXISTS x INT64;\nALTER TABLE `p.d.t` SET OPTIONS (description = 'x', labels = [('a', 'b')]);\n";
        assert_eq!(parse_script(sql), Ok(2));
    }

    #[test]
    fn broken_sql_is_refused_with_a_position() {
        let err = parse_script("SELECT a FROM t WHERE;\n").unwrap_err();
        assert!(err.contains("Line: 1"), "{err}");
        assert!(
            parse_script("SELECT 'it\\'s' AS a;").is_ok(),
            "backslash escapes are GoogleSQL"
        );
        assert!(parse_script("WHILE TRUE SELECT 1; END WHILE;").is_err());
    }
}
