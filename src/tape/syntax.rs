//! Expressions as text: the syntax tree, a precedence-climbing (Pratt)
//! parser, and a printer whose output parses back to the same tree.
//!
//! Precedence, loosest first: `||`; `&&`; comparisons `< <= > >= == !=`
//! (not chained); `+ -`; `* /`; prefix `- + !`; `^` (also `**`, right
//! associative, binding tighter than a prefix minus on its left:
//! `-x^2 = -(x^2)`, `2^-1 = 2^(-1)`).

use std::fmt;

/// A parsed expression: what it is, and where it starts in its source
/// (a byte offset, for error messages). Equality ignores the offsets.
#[derive(Clone, Debug)]
pub struct Expr {
    /// The node.
    pub kind: Kind,
    /// Byte offset of the node's first character in the source text.
    pub at: usize,
}

/// The nodes of an expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// A number literal (finite, non-negative: `-2` is `Neg(2)`).
    Num(f64),
    /// A name: a state, parameter, input, assignment, constant or
    /// function argument, resolved when the expression is compiled.
    Var(String),
    /// `-a`.
    Neg(Box<Expr>),
    /// `!a`: 1 where `a` is 0, else 0.
    Not(Box<Expr>),
    /// `a op b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `name(args…)`: a built-in or user-defined function.
    Call(String, Vec<Expr>),
}

impl Expr {
    /// A node without a source position (built by an importer).
    pub(crate) fn new(kind: Kind) -> Expr {
        Expr { kind, at: 0 }
    }

    pub(crate) fn num(v: f64) -> Expr {
        Expr::new(Kind::Num(v))
    }

    pub(crate) fn var(name: &str) -> Expr {
        Expr::new(Kind::Var(name.to_string()))
    }

    pub(crate) fn binary(op: BinOp, a: Expr, b: Expr) -> Expr {
        Expr::new(Kind::Binary(op, Box::new(a), Box::new(b)))
    }

    pub(crate) fn call(name: &str, args: Vec<Expr>) -> Expr {
        Expr::new(Kind::Call(name.to_string(), args))
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `^` or `**`
    Pow,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `&&`
    And,
    /// `||`
    Or,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        use BinOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Pow => "^",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Eq => "==",
            Ne => "!=",
            And => "&&",
            Or => "||",
        }
    }

    /// Binding power: left and right (`left > right` for right
    /// associativity).
    fn power(self) -> (u8, u8) {
        use BinOp::*;
        match self {
            Or => (1, 2),
            And => (3, 4),
            Lt | Le | Gt | Ge | Eq | Ne => (5, 6),
            Add | Sub => (7, 8),
            Mul | Div => (9, 10),
            Pow => (14, 13),
        }
    }

    fn is_comparison(self) -> bool {
        self.power().0 == 5
    }
}

/// Binding power of the prefix operators `-`, `+`, `!`.
const PREFIX: u8 = 11;

/// A syntax error: what, and the byte offset where.
#[derive(Clone, Debug, PartialEq)]
pub struct SyntaxError {
    /// Byte offset in the source.
    pub at: usize,
    /// What is wrong.
    pub reason: String,
}

pub(crate) fn error<T>(at: usize, reason: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError { at, reason: reason.into() })
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Num(f64),
    Ident(String),
    /// A binary operator (`+` and `-` are also prefix operators).
    Op(BinOp),
    Bang,
    Open,
    Close,
    Comma,
    End,
}

/// Split `src` into tokens with their byte offsets.
fn lex(src: &str) -> Result<Vec<(Token, usize)>, SyntaxError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let two = |s: &str| src[i..].starts_with(s);
        let (token, len) = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' | b'.' => {
                let len = number_len(&bytes[i..]);
                let text = &src[i..i + len];
                let v: f64 = text.parse().or_else(|_| error(i, format!("`{text}` is not a number")))?;
                if !v.is_finite() {
                    return error(i, format!("`{text}` is out of the range of f64"));
                }
                (Token::Num(v), len)
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let len = bytes[i..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
                (Token::Ident(src[i..i + len].to_string()), len)
            }
            _ if two("**") => (Token::Op(BinOp::Pow), 2),
            _ if two("<=") => (Token::Op(BinOp::Le), 2),
            _ if two(">=") => (Token::Op(BinOp::Ge), 2),
            _ if two("==") => (Token::Op(BinOp::Eq), 2),
            _ if two("!=") => (Token::Op(BinOp::Ne), 2),
            _ if two("&&") => (Token::Op(BinOp::And), 2),
            _ if two("||") => (Token::Op(BinOp::Or), 2),
            b'+' => (Token::Op(BinOp::Add), 1),
            b'-' => (Token::Op(BinOp::Sub), 1),
            b'*' => (Token::Op(BinOp::Mul), 1),
            b'/' => (Token::Op(BinOp::Div), 1),
            b'^' => (Token::Op(BinOp::Pow), 1),
            b'<' => (Token::Op(BinOp::Lt), 1),
            b'>' => (Token::Op(BinOp::Gt), 1),
            b'!' => (Token::Bang, 1),
            b'(' => (Token::Open, 1),
            b')' => (Token::Close, 1),
            b',' => (Token::Comma, 1),
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return error(i, format!("unexpected character `{ch}`"));
            }
        };
        out.push((token, start));
        i += len;
    }
    out.push((Token::End, src.len()));
    Ok(out)
}

/// Length of the number literal at the start of `b`: digits, an optional
/// fraction, an optional exponent.
fn number_len(b: &[u8]) -> usize {
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut n = digits(0);
    if b.get(n) == Some(&b'.') {
        n += 1 + digits(n + 1);
    }
    if matches!(b.get(n), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
        let exp = digits(n + 1 + sign);
        if exp > 0 {
            n += 1 + sign + exp;
        }
    }
    n
}

/// Parse one expression.
///
/// # Errors
/// A [`SyntaxError`] at the offending byte: an unexpected character or
/// token, an unclosed parenthesis, a chained comparison, trailing text.
pub fn parse(src: &str) -> Result<Expr, SyntaxError> {
    let tokens = lex(src)?;
    let mut p = Parser { tokens, next: 0, depth: 0 };
    let e = p.expr(0)?;
    match p.peek() {
        (Token::End, _) => Ok(e),
        (_, at) => error(at, "unexpected text after the expression"),
    }
}

/// Nesting deeper than this is refused (the parser recurses).
const MAX_DEPTH: usize = 200;

struct Parser {
    tokens: Vec<(Token, usize)>,
    next: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> (Token, usize) {
        self.tokens[self.next.min(self.tokens.len() - 1)].clone()
    }

    fn bump(&mut self) -> (Token, usize) {
        let t = self.peek();
        self.next += 1;
        t
    }

    fn expr(&mut self, min: u8) -> Result<Expr, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return error(self.peek().1, format!("expression nested deeper than {MAX_DEPTH}"));
        }
        let mut lhs = self.prefix()?;
        while let Token::Op(op) = self.peek().0 {
            let (left, right) = op.power();
            if left < min {
                break;
            }
            self.bump();
            let rhs = self.expr(right)?;
            if op.is_comparison()
                && let (Token::Op(next), at) = self.peek()
                && next.is_comparison()
            {
                return error(at, "comparisons do not chain: write `a < b && b < c`");
            }
            let at = lhs.at;
            lhs = Expr { kind: Kind::Binary(op, Box::new(lhs), Box::new(rhs)), at };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Expr, SyntaxError> {
        let (token, at) = self.bump();
        let kind = match token {
            Token::Num(v) => Kind::Num(v),
            Token::Op(BinOp::Sub) => Kind::Neg(Box::new(self.expr(PREFIX)?)),
            Token::Op(BinOp::Add) => return self.expr(PREFIX),
            Token::Bang => Kind::Not(Box::new(self.expr(PREFIX)?)),
            Token::Open => {
                let e = self.expr(0)?;
                self.expect_close(at)?;
                return Ok(e);
            }
            Token::Ident(name) if self.peek().0 == Token::Open => {
                let (_, open) = self.bump();
                Kind::Call(name, self.args(open)?)
            }
            Token::Ident(name) => Kind::Var(name),
            Token::End => return error(at, "the expression ends where a value is expected"),
            _ => return error(at, "a value is expected here"),
        };
        Ok(Expr { kind, at })
    }

    /// The arguments of a call, after its `(`.
    fn args(&mut self, open: usize) -> Result<Vec<Expr>, SyntaxError> {
        let mut args = Vec::new();
        if self.peek().0 == Token::Close {
            self.bump();
            return Ok(args);
        }
        loop {
            args.push(self.expr(0)?);
            match self.bump() {
                (Token::Comma, _) => {}
                (Token::Close, _) => return Ok(args),
                (Token::End, _) => return error(open, "this parenthesis is not closed"),
                (_, at) => return error(at, "expected `,` or `)` in the argument list"),
            }
        }
    }

    fn expect_close(&mut self, open: usize) -> Result<(), SyntaxError> {
        match self.bump() {
            (Token::Close, _) => Ok(()),
            (Token::End, _) => error(open, "this parenthesis is not closed"),
            (_, at) => error(at, "expected `)`"),
        }
    }
}

/// Printing precedence of a node (higher binds tighter).
fn precedence(e: &Expr) -> u8 {
    match &e.kind {
        Kind::Binary(op, ..) => op.power().0.min(op.power().1),
        Kind::Neg(_) | Kind::Not(_) => PREFIX,
        Kind::Num(v) if *v < 0.0 || v.is_sign_negative() => PREFIX,
        _ => u8::MAX,
    }
}

impl fmt::Display for Expr {
    /// The expression with the fewest parentheses that parse back to the
    /// same tree; numbers in Rust's shortest round-trip form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wrap = |f: &mut fmt::Formatter<'_>, e: &Expr, paren: bool| {
            if paren { write!(f, "({e})") } else { write!(f, "{e}") }
        };
        match &self.kind {
            Kind::Num(v) if *v != 0.0 && (v.abs() < 1e-4 || v.abs() >= 1e16) => write!(f, "{v:e}"),
            Kind::Num(v) => write!(f, "{v}"),
            Kind::Var(name) => f.write_str(name),
            Kind::Neg(a) | Kind::Not(a) => {
                f.write_str(if matches!(self.kind, Kind::Neg(_)) { "-" } else { "!" })?;
                wrap(f, a, precedence(a) < PREFIX)
            }
            Kind::Binary(op, a, b) => {
                let (left, right) = op.power();
                let p = left.min(right);
                // Left operand: parenthesized if it binds looser, or as
                // tight for a right-associative or non-chaining operator.
                let tight_left = *op == BinOp::Pow || op.is_comparison();
                wrap(f, a, precedence(a) < p || (tight_left && precedence(a) == p))?;
                write!(f, " {} ", op.symbol())?;
                // Right operand: parenthesized if it binds looser, or as
                // tight for a left-associative operator.
                wrap(f, b, precedence(b) < p || (*op != BinOp::Pow && precedence(b) == p))
            }
            Kind::Call(name, args) => {
                write!(f, "{name}(")?;
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn tree(s: &str) -> String {
        fn go(e: &Expr) -> String {
            match &e.kind {
                Kind::Num(v) => format!("{v}"),
                Kind::Var(n) => n.clone(),
                Kind::Neg(a) => format!("(neg {})", go(a)),
                Kind::Not(a) => format!("(not {})", go(a)),
                Kind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), go(a), go(b)),
                Kind::Call(n, args) => format!("({n} {})", args.iter().map(go).collect::<Vec<_>>().join(" ")),
            }
        }
        go(&parse(s).unwrap())
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(tree("1 + 2 * 3"), "(+ 1 (* 2 3))");
        assert_eq!(tree("a - b - c"), "(- (- a b) c)");
        assert_eq!(tree("a / b / c"), "(/ (/ a b) c)");
        assert_eq!(tree("a ^ b ^ c"), "(^ a (^ b c))");
        assert_eq!(tree("a ** b"), "(^ a b)");
        assert_eq!(tree("-x^2"), "(neg (^ x 2))");
        assert_eq!(tree("2^-x"), "(^ 2 (neg x))");
        assert_eq!(tree("-2*x"), "(* (neg 2) x)");
        assert_eq!(tree("+x"), "x");
        assert_eq!(tree("a < b && c >= d || !e"), "(|| (&& (< a b) (>= c d)) (not e))");
        assert_eq!(tree("max(a, b + 1, 3)"), "(max a (+ b 1) 3)");
        assert_eq!(tree("f()"), "(f )");
        assert_eq!(tree("1.5e-3 + .5 + 2. + 7E2"), "(+ (+ (+ 0.0015 0.5) 2) 700)");
    }

    #[test]
    fn errors_point_at_the_offence() {
        let at = |s: &str| parse(s).unwrap_err().at;
        assert_eq!(at("a + * b"), 4);
        assert_eq!(at("(a + b"), 0);
        assert_eq!(at("f(a, b"), 1);
        assert_eq!(at("a b"), 2);
        assert_eq!(at("a # b"), 2);
        assert_eq!(at("a < b < c"), 6);
        assert_eq!(at("1e999"), 0);
        assert_eq!(at(""), 0);
        assert_eq!(at("f(a,)"), 4);
        assert!(parse(&"(".repeat(10_000)).is_err());
        assert!(parse(&"-".repeat(10_000)).is_err());
    }

    fn leaf() -> impl Strategy<Value = String> {
        prop_oneof![
            (0.0f64..1e6).prop_map(|v| format!("{v}")),
            (1e-30f64..1e-5).prop_map(|v| format!("{v:e}")),
            "[a-z][a-z0-9_]{0,3}".prop_filter("not a keyword", |s| s != "e"),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        leaf().prop_recursive(5, 40, 3, |inner| {
            let ops = prop::sample::select(vec!["+", "-", "*", "/", "^", "**", "<", "<=", "==", "!=", "&&", "||"]);
            prop_oneof![
                (inner.clone(), ops, inner.clone()).prop_map(|(a, o, b)| format!("{a} {o} {b}")),
                inner.clone().prop_map(|a| format!("({a})")),
                inner.clone().prop_map(|a| format!("-{a}")),
                inner.clone().prop_map(|a| format!("!{a}")),
                prop::collection::vec(inner, 1..4).prop_map(|v| format!("min({})", v.join(", "))),
            ]
        })
    }

    proptest! {
        /// parse → print → parse gives the same tree, and printing is
        /// stable.
        #[test]
        fn print_round_trips(s in text()) {
            // Generated text may chain comparisons; those are rejected.
            if let Ok(e) = parse(&s) {
                let printed = e.to_string();
                let again = parse(&printed).unwrap();
                prop_assert_eq!(&again, &e, "{} printed as {}", s, printed);
                prop_assert_eq!(again.to_string(), printed);
            }
        }

        /// No input makes the parser panic.
        #[test]
        fn arbitrary_text_never_panics(s in "[ -~]{0,40}") {
            let _ = parse(&s);
        }
    }
}
