//! Content MathML (the subset SBML uses) to odeon's expression tree.

use crate::tape::{BinOp, Expr, Kind};
use roxmltree::Node;

/// A node that cannot be read: the node, and why.
pub(crate) struct MathError<'a, 'i> {
    pub node: Node<'a, 'i>,
    pub reason: String,
}

type Result<'a, 'i, T> = std::result::Result<T, MathError<'a, 'i>>;

fn fail<'a, 'i, T>(node: Node<'a, 'i>, reason: impl Into<String>) -> Result<'a, 'i, T> {
    Err(MathError { node, reason: reason.into() })
}

use Expr as E;

fn expr(kind: Kind) -> Expr {
    Expr::new(kind)
}

/// The element children of `node`.
pub(crate) fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(Node::is_element)
}

/// The expression of a `<math>` element (its one child); `time` is the
/// name time takes.
pub(crate) fn math<'a, 'i>(node: Node<'a, 'i>, time: &str) -> Result<'a, 'i, Expr> {
    let mut children = elements(node);
    match (children.next(), children.next()) {
        (Some(e), None) => convert(e, time, 0),
        _ => fail(node, "<math> must hold exactly one expression"),
    }
}

/// The expression of one MathML element (e.g. a `<lambda>`'s body).
pub(crate) fn math_node<'a, 'i>(node: Node<'a, 'i>, time: &str) -> Result<'a, 'i, Expr> {
    convert(node, time, 0)
}

/// Deeper nesting is refused (the conversion recurses).
const MAX_DEPTH: usize = 200;

fn convert<'a, 'i>(node: Node<'a, 'i>, time: &str, depth: usize) -> Result<'a, 'i, Expr> {
    if depth > MAX_DEPTH {
        return fail(node, format!("expression nested deeper than {MAX_DEPTH}"));
    }
    let text = || node.text().unwrap_or("").trim().to_string();
    Ok(match node.tag_name().name() {
        "ci" => expr(Kind::Var(text())),
        "cn" => E::num(number(node)?),
        "csymbol" => match node.attribute("definitionURL").unwrap_or("").rsplit('/').next().unwrap_or("") {
            "time" => expr(Kind::Var(time.to_string())),
            "avogadro" => E::num(6.02214179e23),
            other => return fail(node, format!("unsupported: the csymbol `{other}`")),
        },
        "true" => E::num(1.0),
        "false" => E::num(0.0),
        "pi" => E::num(std::f64::consts::PI),
        "exponentiale" => E::num(std::f64::consts::E),
        "infinity" => E::num(f64::INFINITY),
        "notanumber" => E::num(f64::NAN),
        "apply" => apply(node, time, depth)?,
        "piecewise" => {
            let mut args = Vec::new();
            for piece in elements(node) {
                let parts: Vec<Node> = elements(piece).collect();
                match (piece.tag_name().name(), parts.as_slice()) {
                    ("piece", [value, condition]) => {
                        args.push(convert(*value, time, depth + 1)?);
                        args.push(convert(*condition, time, depth + 1)?);
                    }
                    ("otherwise", [value]) => args.push(convert(*value, time, depth + 1)?),
                    _ => return fail(piece, "a piecewise holds <piece> (value, condition) and <otherwise> (value)"),
                }
            }
            E::call("piecewise", args)
        }
        other => return fail(node, format!("unsupported MathML element <{other}>")),
    })
}

/// A `<cn>` number: real, integer, e-notation (`m<sep/>e`) or rational
/// (`n<sep/>d`).
fn number<'a, 'i>(node: Node<'a, 'i>) -> Result<'a, 'i, f64> {
    let parts: Vec<&str> = node.children().filter(|c| c.is_text()).filter_map(|c| c.text()).map(str::trim).collect();
    let parse = |s: &str| s.parse::<f64>().ok();
    let value = match (node.attribute("type").unwrap_or("real"), parts.as_slice()) {
        ("real" | "integer" | "double", [v]) => parse(v),
        // Read as one literal, so that the value is the nearest double.
        ("e-notation", [m, e]) => parse(&format!("{m}e{e}")),
        ("rational", [n, d]) => parse(n).zip(parse(d)).map(|(n, d)| n / d),
        _ => None,
    };
    match value {
        Some(v) => Ok(v),
        None => fail(node, format!("`{}` is not a number", node.text().unwrap_or("").trim())),
    }
}

fn apply<'a, 'i>(node: Node<'a, 'i>, time: &str, depth: usize) -> Result<'a, 'i, Expr> {
    let mut children = elements(node);
    let Some(head) = children.next() else { return fail(node, "an empty <apply>") };
    let rest: Vec<Node> = children.collect();
    // Qualifiers (`<logbase>`, `<degree>`) hold one expression each.
    let qualifier = |name: &str| rest.iter().find(|c| c.has_tag_name(name)).and_then(|q| elements(*q).next());
    let operands: Vec<Node> =
        rest.iter().copied().filter(|c| !matches!(c.tag_name().name(), "logbase" | "degree")).collect();
    let mut args = Vec::with_capacity(operands.len());
    for a in &operands {
        args.push(convert(*a, time, depth + 1)?);
    }
    let name = head.tag_name().name();
    let arity = |n: usize| -> Result<'a, 'i, ()> {
        if args.len() == n { Ok(()) } else { fail(node, format!("<{name}> takes {n} argument(s), got {}", args.len())) }
    };
    let fold = |op: BinOp, empty: f64, args: Vec<Expr>| {
        args.into_iter().reduce(|a, b| E::binary(op, a, b)).unwrap_or_else(|| E::num(empty))
    };
    Ok(match name {
        // `<apply><apply>…</apply></apply>`: an application wrapped once
        // more, read as the inner one (as libSBML does; models in the
        // PEtab collection carry it).
        "apply" if operands.is_empty() && rest.is_empty() => convert(head, time, depth + 1)?,
        "ci" => E::call(head.text().unwrap_or("").trim(), args),
        "plus" => fold(BinOp::Add, 0.0, args),
        "times" => fold(BinOp::Mul, 1.0, args),
        "and" => fold(BinOp::And, 1.0, args),
        "or" => fold(BinOp::Or, 0.0, args),
        "minus" if args.len() == 1 => expr(Kind::Neg(Box::new(args.remove(0)))),
        "minus" | "divide" | "power" => {
            arity(2)?;
            let op = match name {
                "minus" => BinOp::Sub,
                "divide" => BinOp::Div,
                _ => BinOp::Pow,
            };
            let b = args.pop().unwrap_or_else(|| E::num(0.0));
            E::binary(op, args.pop().unwrap_or_else(|| E::num(0.0)), b)
        }
        "not" => {
            arity(1)?;
            expr(Kind::Not(Box::new(args.remove(0))))
        }
        "xor" => {
            arity(2)?;
            let b = args.pop().unwrap_or_else(|| E::num(0.0));
            E::binary(BinOp::Ne, expr(Kind::Not(Box::new(args.remove(0)))), expr(Kind::Not(Box::new(b))))
        }
        "eq" | "neq" | "lt" | "gt" | "leq" | "geq" => {
            if args.len() < 2 {
                return fail(node, format!("<{name}> takes at least 2 arguments"));
            }
            let op = match name {
                "eq" => BinOp::Eq,
                "neq" => BinOp::Ne,
                "lt" => BinOp::Lt,
                "gt" => BinOp::Gt,
                "leq" => BinOp::Le,
                _ => BinOp::Ge,
            };
            // a < b < c: each neighbouring pair.
            let pairs: Vec<Expr> = args.windows(2).map(|w| E::binary(op, w[0].clone(), w[1].clone())).collect();
            fold(BinOp::And, 1.0, pairs)
        }
        "root" => {
            arity(1)?;
            match qualifier("degree") {
                Some(d) => E::binary(
                    BinOp::Pow,
                    args.remove(0),
                    E::binary(BinOp::Div, E::num(1.0), convert(d, time, depth + 1)?),
                ),
                None => E::call("sqrt", args),
            }
        }
        "log" => {
            arity(1)?;
            match qualifier("logbase") {
                Some(b) => E::call("log", vec![convert(b, time, depth + 1)?, args.remove(0)]),
                None => E::call("log10", args),
            }
        }
        "min" | "max" => E::call(name, args),
        "ceiling" => E::call("ceil", args),
        "ln" | "exp" | "abs" | "floor" | "sin" | "cos" | "tan" | "sinh" | "cosh" | "tanh" => E::call(name, args),
        "arcsin" | "arccos" | "arctan" | "arcsinh" | "arccosh" | "arctanh" => {
            E::call(&name.replacen("arc", "a", 1), args)
        }
        other => return fail(head, format!("unsupported MathML function <{other}>")),
    })
}
