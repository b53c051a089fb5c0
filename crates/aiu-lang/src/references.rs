//! Reference extraction: every `root.attr.attr` an expression mentions (inside function
//! arguments, templates, conditionals and `for` expressions too), skipping names bound by
//! `for` expressions and template `for` directives.

use std::collections::BTreeSet;

use hcl::expr::{ObjectKey, Operation, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use hcl::Expression;

use crate::Reference;

/// Every reference in `expr`, deduplicated and sorted.
pub(crate) fn references(expr: &Expression) -> Vec<Reference> {
    let mut found = BTreeSet::new();
    walk(expr, &mut Vec::new(), &mut found);
    found.into_iter().collect()
}

/// Walks an expression. `bound` holds the names bound by enclosing `for`s.
fn walk(expr: &Expression, bound: &mut Vec<String>, found: &mut BTreeSet<Reference>) {
    match expr {
        Expression::Variable(v) => add(v.as_str(), Vec::new(), bound, found),
        Expression::Traversal(t) => {
            match &t.expr {
                Expression::Variable(root) => {
                    let attrs = t
                        .operators
                        .iter()
                        .map_while(|op| match op {
                            TraversalOperator::GetAttr(name) => Some(name.to_string()),
                            _ => None,
                        })
                        .collect();
                    add(root.as_str(), attrs, bound, found);
                }
                other => walk(other, bound, found),
            }
            for op in &t.operators {
                if let TraversalOperator::Index(index) = op {
                    walk(index, bound, found);
                }
            }
        }
        Expression::Array(items) => items.iter().for_each(|item| walk(item, bound, found)),
        Expression::Object(entries) => {
            for (key, value) in entries.iter() {
                if let ObjectKey::Expression(key) = key {
                    // A bare name as a key is a literal, not a reference.
                    if !matches!(key, Expression::Variable(_)) {
                        walk(key, bound, found);
                    }
                }
                walk(value, bound, found);
            }
        }
        Expression::TemplateExpr(t) => {
            if let Ok(template) = Template::from_expr(t) {
                walk_template(&template, bound, found);
            }
        }
        Expression::FuncCall(call) => call.args.iter().for_each(|arg| walk(arg, bound, found)),
        Expression::Parenthesis(inner) => walk(inner, bound, found),
        Expression::Conditional(c) => {
            walk(&c.cond_expr, bound, found);
            walk(&c.true_expr, bound, found);
            walk(&c.false_expr, bound, found);
        }
        Expression::Operation(op) => match op.as_ref() {
            Operation::Unary(u) => walk(&u.expr, bound, found),
            Operation::Binary(b) => {
                walk(&b.lhs_expr, bound, found);
                walk(&b.rhs_expr, bound, found);
            }
        },
        Expression::ForExpr(f) => {
            walk(&f.collection_expr, bound, found);
            let before = bound.len();
            bound.push(f.value_var.to_string());
            if let Some(k) = &f.key_var {
                bound.push(k.to_string());
            }
            for inner in [
                f.key_expr.as_ref(),
                Some(&f.value_expr),
                f.cond_expr.as_ref(),
            ]
            .into_iter()
            .flatten()
            {
                walk(inner, bound, found);
            }
            bound.truncate(before);
        }
        _ => {}
    }
}

fn walk_template(template: &Template, bound: &mut Vec<String>, found: &mut BTreeSet<Reference>) {
    for element in template.elements() {
        match element {
            Element::Literal(_) => {}
            Element::Interpolation(interp) => walk(&interp.expr, bound, found),
            Element::Directive(dir) => match dir.as_ref() {
                Directive::If(d) => {
                    walk(&d.cond_expr, bound, found);
                    walk_template(&d.true_template, bound, found);
                    if let Some(f) = &d.false_template {
                        walk_template(f, bound, found);
                    }
                }
                Directive::For(d) => {
                    walk(&d.collection_expr, bound, found);
                    let before = bound.len();
                    bound.push(d.value_var.to_string());
                    if let Some(k) = &d.key_var {
                        bound.push(k.to_string());
                    }
                    walk_template(&d.template, bound, found);
                    bound.truncate(before);
                }
            },
        }
    }
}

fn add(root: &str, attrs: Vec<String>, bound: &[String], found: &mut BTreeSet<Reference>) {
    if bound.iter().any(|b| b == root) {
        return;
    }
    found.insert(Reference {
        root: root.to_owned(),
        attrs,
    });
}

#[cfg(test)]
mod tests {
    use crate::test_support::parse;
    use crate::{references, Reference};

    fn refs(text: &str) -> Vec<String> {
        references(&parse(text))
            .into_iter()
            .map(|Reference { root, attrs }| {
                std::iter::once(root)
                    .chain(attrs)
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect()
    }

    #[test]
    fn traversals_report_the_root_and_leading_attribute_names() {
        assert_eq!(refs("aws_iam_role.x.arn"), ["aws_iam_role.x.arn"]);
        assert_eq!(
            refs("data.aws_iam_policy_document.d.json"),
            ["data.aws_iam_policy_document.d.json"]
        );
        assert_eq!(refs("aws_iam_role.x[0].arn"), ["aws_iam_role.x"]);
        assert_eq!(refs("aws_iam_role.x[*].arn"), ["aws_iam_role.x"]);
        assert_eq!(refs("count.index"), ["count.index"]);
        assert_eq!(refs("self"), ["self"]);
    }

    #[test]
    fn references_are_found_in_every_sub_expression_deduplicated_and_sorted() {
        let text =
            "var.on ? jsonencode({a = local.b, (var.k) = [var.on]}) : \"${aws_iam_role.r.name}-x\"";
        assert_eq!(
            refs(text),
            ["aws_iam_role.r.name", "local.b", "var.k", "var.on"]
        );
        assert_eq!(refs("var.m[local.key]"), ["local.key", "var.m"]);
        assert_eq!(refs("-var.n + length(var.l)"), ["var.l", "var.n"]);
        assert_eq!(
            refs("<<EOT\n%{if var.a}${var.b}%{endif}\nEOT"),
            ["var.a", "var.b"]
        );
    }

    #[test]
    fn names_bound_by_for_expressions_are_not_references() {
        assert_eq!(
            refs("{for k, v in var.m : k => v.arn if v != local.skip}"),
            ["local.skip", "var.m"]
        );
        assert_eq!(
            refs("[for r in aws_iam_role.all : r.arn]"),
            ["aws_iam_role.all"]
        );
        assert_eq!(
            refs("\"%{for x in var.xs}${x}${var.sep}%{endfor}\""),
            ["var.sep", "var.xs"]
        );
        // The binding ends with the `for`: a later `x` is a reference again.
        assert_eq!(refs("[[for x in var.a : x], x]"), ["var.a", "x"]);
    }
}
