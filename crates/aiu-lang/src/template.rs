//! String templates (quoted strings with `${...}`, heredocs, template files): interpolation,
//! `%{if}`/`%{else}`/`%{endif}` and `%{for}`/`%{endfor}` directives, and `~` strip markers.

use aiu_model::Value;
use hcl::expr::TemplateExpr;
use hcl::template::{Directive, Element, Strip, Template};

use crate::eval::{condition_value, eval_expr, iteration_bindings, iteration_pairs, Scope};
use crate::util::primitive_string;
use crate::{EvalContext, EvalError};

/// Parses template source text (without surrounding quotes).
pub(crate) fn parse_template(text: &str) -> Result<Template, EvalError> {
    text.parse::<Template>().map_err(|e| {
        EvalError::new("Invalid template", format!("The template could not be parsed: {e}. Check the ${{...}} and %{{...}} sequences are balanced."))
    })
}

/// Evaluates a quoted-string or heredoc template expression.
pub(crate) fn eval_template_expr(expr: &TemplateExpr, scope: &Scope) -> Result<Value, EvalError> {
    let template = Template::from_expr(expr).map_err(|e| {
        EvalError::new("Invalid template", format!("The template could not be parsed: {e}. Check the ${{...}} and %{{...}} sequences are balanced."))
    })?;
    eval_template(&template, scope)
}

/// Evaluates template source text against a context's root names.
pub(crate) fn eval_template_str(text: &str, ctx: &EvalContext) -> Result<Value, EvalError> {
    let template = parse_template(text)?;
    eval_template(&template, &Scope::new(ctx))
}

/// Evaluates a parsed template. A template made of a single interpolation (`"${x}"`) yields
/// the interpolated value itself, like Terraform; anything else yields a string, or unknown
/// when any interpolated value, condition or collection is unknown.
pub(crate) fn eval_template(template: &Template, scope: &Scope) -> Result<Value, EvalError> {
    if let [Element::Interpolation(interp)] = template.elements() {
        return eval_expr(&interp.expr, scope);
    }
    let mut out = Rendered {
        text: String::new(),
        unknown: false,
    };
    render(&mut out, template, scope, Strip::None, Strip::None)?;
    if out.unknown {
        return Ok(Value::Unknown);
    }
    Ok(Value::String(out.text))
}

struct Rendered {
    text: String,
    unknown: bool,
}

fn element_strip(element: &Element) -> Strip {
    match element {
        Element::Literal(_) => Strip::None,
        Element::Interpolation(interp) => interp.strip,
        Element::Directive(dir) => match dir.as_ref() {
            Directive::If(d) => Strip::from((d.if_strip.strip_start(), d.endif_strip.strip_end())),
            Directive::For(d) => {
                Strip::from((d.for_strip.strip_start(), d.endfor_strip.strip_end()))
            }
        },
    }
}

/// Renders the elements of a template. `before` is the strip marker of whatever precedes the
/// template (its `strip_end` trims the first literal's leading whitespace), `after` the one
/// that follows it.
fn render(
    out: &mut Rendered,
    template: &Template,
    scope: &Scope,
    before: Strip,
    after: Strip,
) -> Result<(), EvalError> {
    let elements = template.elements();
    for (i, element) in elements.iter().enumerate() {
        let prev = if i == 0 {
            before
        } else {
            element_strip(&elements[i - 1])
        };
        let next = elements.get(i + 1).map_or(after, element_strip);
        match element {
            Element::Literal(literal) => out.text.push_str(strip_literal(literal, prev, next)),
            Element::Interpolation(interp) => {
                let value = eval_expr(&interp.expr, scope)?;
                interpolate(out, &value)?;
            }
            Element::Directive(dir) => render_directive(out, dir, scope)?,
        }
    }
    Ok(())
}

fn interpolate(out: &mut Rendered, value: &Value) -> Result<(), EvalError> {
    match value {
        Value::Unknown => {
            out.unknown = true;
            Ok(())
        }
        Value::Null => Err(EvalError::new(
            "Invalid template interpolation value",
            "The expression result is null, and a null value cannot be included in a string template. Use coalesce() or a conditional to provide a default.",
        )),
        Value::List(_) | Value::Object(_) => Err(EvalError::new(
            "Invalid template interpolation value",
            format!("Cannot include a {} in a string template: a string is required. Use join() or jsonencode() to turn it into a string.", value.type_name()),
        )),
        primitive => {
            out.text.push_str(&primitive_string(primitive).unwrap_or_default());
            Ok(())
        }
    }
}

fn render_directive(out: &mut Rendered, dir: &Directive, scope: &Scope) -> Result<(), EvalError> {
    match dir {
        Directive::If(d) => {
            let cond = eval_expr(&d.cond_expr, scope)?;
            match condition_value(&cond, "condition of this %{if} directive")? {
                None => out.unknown = true,
                Some(true) => {
                    let after = if d.false_template.is_some() {
                        d.else_strip
                    } else {
                        d.endif_strip
                    };
                    render(out, &d.true_template, scope, d.if_strip, after)?;
                }
                Some(false) => {
                    if let Some(false_template) = &d.false_template {
                        render(out, false_template, scope, d.else_strip, d.endif_strip)?;
                    }
                }
            }
            Ok(())
        }
        Directive::For(d) => {
            let collection = eval_expr(&d.collection_expr, scope)?;
            let Some(pairs) = iteration_pairs(collection)? else {
                out.unknown = true;
                return Ok(());
            };
            for (key, value) in pairs {
                let child = scope.child(iteration_bindings(
                    d.key_var.as_ref(),
                    &d.value_var,
                    key,
                    value,
                ));
                render(out, &d.template, &child, d.for_strip, d.endfor_strip)?;
            }
            Ok(())
        }
    }
}

/// Trims spaces and one line break next to a `~` strip marker.
fn strip_literal(mut literal: &str, prev: Strip, next: Strip) -> &str {
    fn is_space(c: char) -> bool {
        c.is_whitespace() && c != '\r' && c != '\n'
    }
    if prev.strip_end() {
        let s = literal.trim_start_matches(is_space);
        literal = s
            .strip_prefix("\r\n")
            .or_else(|| s.strip_prefix('\n'))
            .unwrap_or(s);
    }
    if next.strip_start() {
        let s = literal.trim_end_matches(is_space);
        literal = s
            .strip_suffix("\r\n")
            .or_else(|| s.strip_suffix('\n'))
            .unwrap_or(s);
    }
    literal
}

#[cfg(test)]
mod tests {
    use crate::test_support::{err_with, eval_str, eval_with, obj, strs};
    use aiu_model::Value;

    #[test]
    fn interpolation_converts_primitives_to_strings() {
        let root = [(
            "var",
            obj([
                ("n", Value::from(3i64)),
                ("s", Value::from("x")),
                ("b", Value::Bool(true)),
            ]),
        )];
        assert_eq!(
            eval_with("\"${var.s}-${var.n}-${var.b}\"", root),
            Value::from("x-3-true")
        );
    }

    #[test]
    fn a_lone_interpolation_keeps_the_value_type() {
        let root = [("var", obj([("l", strs(&["a"]))]))];
        assert_eq!(eval_with("\"${var.l}\"", root), strs(&["a"]));
    }

    #[test]
    fn escapes_for_literal_dollar_and_percent_sequences() {
        assert_eq!(eval_str("\"$${x} %%{y} ${1}\""), Value::from("${x} %{y} 1"));
    }

    #[test]
    fn null_and_collections_cannot_be_interpolated() {
        let root = [("var", obj([("n", Value::Null), ("l", strs(&["a"]))]))];
        assert_eq!(
            err_with("\"a${var.n}\"", root.clone()).summary,
            "Invalid template interpolation value"
        );
        assert!(err_with("\"a${var.l}\"", root).detail.contains("join()"));
    }

    #[test]
    fn if_and_for_directives() {
        assert_eq!(
            eval_str("\"%{if 1 < 2}yes%{else}no%{endif}\""),
            Value::from("yes")
        );
        assert_eq!(eval_str("\"%{if false}yes%{endif}!\""), Value::from("!"));
        assert_eq!(
            eval_str("\"%{for x in [\"a\", \"b\"]}<${x}>%{endfor}\""),
            Value::from("<a><b>")
        );
        assert_eq!(
            eval_str("\"%{for k, v in {b = 2, a = 1}}${k}=${v};%{endfor}\""),
            Value::from("a=1;b=2;")
        );
    }

    #[test]
    fn strip_markers_remove_adjacent_whitespace_and_one_newline() {
        let text = "<<EOT\n%{ for x in [\"a\", \"b\"] ~}\n  ${x}\n%{ endfor ~}\nend\nEOT";
        assert_eq!(eval_str(text), Value::from("  a\n  b\nend\n"));
        assert_eq!(eval_str("\"a  ${\"b\"~}   c\""), Value::from("a  bc"));
        assert_eq!(eval_str("\"a  ${~\"b\"}   c\""), Value::from("ab   c"));
    }

    #[test]
    fn heredocs_and_indented_heredocs() {
        assert_eq!(
            eval_str("<<EOT\nhello ${\"world\"}\nEOT"),
            Value::from("hello world\n")
        );
        assert_eq!(
            eval_str("<<-EOT\n    a\n      b\n    EOT"),
            Value::from("a\n  b\n")
        );
    }

    #[test]
    fn unknown_parts_make_the_whole_template_unknown() {
        let root = [("u", obj([("x", Value::Unknown)]))];
        assert_eq!(eval_with("\"arn:${u.x}\"", root.clone()), Value::Unknown);
        assert_eq!(
            eval_with("\"%{if u.x}a%{endif}\"", root.clone()),
            Value::Unknown
        );
        assert_eq!(
            eval_with("\"%{for v in u.x}${v}%{endfor}\"", root),
            Value::Unknown
        );
    }
}
