//! Subscription filters: topic expressions (`wsnt:TopicExpression`) and
//! ONVIF message content expressions (`wsnt:MessageContent`).
//!
//! # Topic expressions
//!
//! The concrete-set grammar ONVIF mandates, which also covers what clients
//! send as `Concrete`, `Simple` or `Full`: alternatives separated by `|`,
//! each a path whose first step is a QName in the topic namespace
//! (`tns1:RuleEngine`), then `/`-separated steps (`CellMotionDetector`),
//! `*` for any one step and `//` for any number of steps (`tns1:RuleEngine//.`
//! is RuleEngine and everything below it). Prefixes of later steps are
//! ignored. The first step's prefix is resolved with the request's own
//! bindings; an undeclared `tns1` (some clients forget it) means the ONVIF
//! topic namespace. A `Simple` expression (one root topic) also matches the
//! topics below that root: a device whose roots are never topics themselves
//! would otherwise match nothing.
//!
//! # Message content expressions
//!
//! The XPath forms clients use with the ONVIF item filter dialect:
//!
//! ```text
//! boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"])
//! boolean(//tt:Source/tt:SimpleItem[@Name="Source" and @Value="VideoSourceToken_1"])
//! not(boolean(//tt:SimpleItem[@Name="State" and @Value="false"])) or boolean(//tt:Data/tt:SimpleItem[@Name="State"])
//! ```
//!
//! Supported: `boolean(...)`, `not(...)`, `and`, `or`, parentheses,
//! `true()`, `false()`, paths `//tt:SimpleItem`, `//tt:ElementItem` (never
//! present in our messages), optionally below `tt:Source`, `tt:Key` or
//! `tt:Data` (or `tt:Message/...`), with predicates comparing `@Name` or
//! `@Value` to a literal with `=` or `!=`, combined with `and`, `or`,
//! `not()`. Anything else is refused as an invalid expression. Parsing is
//! bounded in length and nesting.

use crate::onvif::Notification;
use crate::onvif::ns;
use crate::onvif::xml::Element;

use super::topics;

/// Longest expression accepted, in bytes.
const MAX_EXPRESSION_LEN: usize = 4096;

/// Deepest nesting of parentheses and predicates accepted.
const MAX_NESTING: usize = 32;

/// Most alternatives in a topic expression.
const MAX_ALTERNATIVES: usize = 64;

/// One step of a topic path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// A topic name (local part).
    Name(String),
    /// `*`: any one step.
    Any,
    /// `//`: any number of steps, none included.
    Descendants,
}

/// One alternative of a topic expression: a namespace and a path pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
struct TopicPattern {
    namespace: String,
    steps: Vec<Step>,
}

impl TopicPattern {
    fn matches(&self, namespace: &str, path: &[&str]) -> bool {
        self.namespace == namespace && match_steps(&self.steps, path)
    }
}

fn match_steps(steps: &[Step], path: &[&str]) -> bool {
    match steps.split_first() {
        None => path.is_empty(),
        Some((Step::Descendants, rest)) => {
            (0..=path.len()).any(|skip| match_steps(rest, path.get(skip..).unwrap_or_default()))
        }
        Some((step, rest)) => match path.split_first() {
            None => false,
            Some((first, tail)) => {
                let ok = match step {
                    Step::Name(name) => name == first,
                    Step::Any => true,
                    Step::Descendants => false,
                };
                ok && match_steps(rest, tail)
            }
        },
    }
}

/// Why a filter was refused; each maps to a WS-BaseNotification fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterError {
    /// `wsnt:TopicExpressionDialectUnknownFault`.
    TopicDialectUnknown(String),
    /// `wsnt:InvalidTopicExpressionFault`.
    InvalidTopicExpression(String),
    /// `wsnt:TopicNotSupportedFault`: valid, but no topic of the device
    /// matches.
    TopicNotSupported(String),
    /// `wsnt:InvalidMessageContentExpressionFault` (unknown dialects too).
    InvalidMessageContent(String),
    /// `wsnt:InvalidFilterFault`: a filter element we do not support
    /// (`wsnt:ProducerProperties`, unknown elements).
    InvalidFilter(String),
}

/// A topic expression: alternatives, any of which may match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicExpression {
    alternatives: Vec<TopicPattern>,
}

impl TopicExpression {
    /// Parses the text of a `wsnt:TopicExpression` element, resolving the
    /// first step's prefix with `element`'s bindings.
    pub fn parse(element: &Element) -> Result<TopicExpression, FilterError> {
        let dialect = element.attr("Dialect").map(str::trim).unwrap_or("");
        let simple = match dialect {
            "" | topics::DIALECT_CONCRETE_SET | topics::DIALECT_CONCRETE | topics::DIALECT_FULL => {
                false
            }
            topics::DIALECT_SIMPLE => true,
            other => return Err(FilterError::TopicDialectUnknown(other.to_owned())),
        };
        let text = element.text();
        let invalid = |why: &str| FilterError::InvalidTopicExpression(format!("{why}: {text:?}"));
        if text.is_empty() {
            return Err(invalid("empty topic expression"));
        }
        if text.len() > MAX_EXPRESSION_LEN {
            return Err(invalid("topic expression too long"));
        }
        let mut alternatives = Vec::new();
        for alternative in text.split('|') {
            if alternatives.len() == MAX_ALTERNATIVES {
                return Err(invalid("too many alternatives"));
            }
            let mut pattern = parse_alternative(element, alternative.trim()).map_err(invalid)?;
            if simple {
                pattern.steps.push(Step::Descendants);
            }
            alternatives.push(pattern);
        }
        Ok(TopicExpression { alternatives })
    }

    /// Whether a topic (`tns1:VideoSource/MotionAlarm`, response prefixes)
    /// matches.
    pub fn matches(&self, topic: &str) -> bool {
        let Some((namespace, path)) = split_topic(topic) else {
            return false;
        };
        let path: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        self.alternatives
            .iter()
            .any(|a| a.matches(namespace, &path))
    }
}

/// Splits `prefix:Root/Child` into the namespace of the (response) prefix
/// and `Root/Child`.
fn split_topic(topic: &str) -> Option<(&'static str, &str)> {
    let (prefix, path) = topic.trim().split_once(':')?;
    Some((ns::uri_of_prefix(prefix)?, path))
}

fn parse_alternative(element: &Element, text: &str) -> Result<TopicPattern, &'static str> {
    if text.is_empty() {
        return Err("empty alternative");
    }
    // A leading `/` or `//` has no meaning for a topic tree; refuse it.
    if text.starts_with('/') {
        return Err("a topic expression starts with a topic name");
    }
    let mut parts = text.split('/');
    let first = parts.next().unwrap_or_default().trim();
    let (namespace, root) = match first.split_once(':') {
        Some((prefix, local)) => {
            if !is_ncname(prefix) {
                return Err("bad prefix");
            }
            let namespace = match element.lookup_prefix(prefix) {
                Some(uri) => uri.to_owned(),
                None if prefix == "tns1" => ns::TNS1.to_owned(),
                None => return Err("undeclared prefix"),
            };
            (namespace, local)
        }
        None => (element.lookup_prefix("").unwrap_or("").to_owned(), first),
    };
    let mut steps = vec![root_step(root)?];
    let mut previous_empty = false;
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            if previous_empty {
                return Err("`///` in a topic expression");
            }
            previous_empty = true;
            steps.push(Step::Descendants);
            continue;
        }
        previous_empty = false;
        match part {
            "." => {}
            "*" => steps.push(Step::Any),
            _ => {
                let local = part.rsplit_once(':').map_or(part, |(_, l)| l);
                if !is_ncname(local) {
                    return Err("bad topic name");
                }
                steps.push(Step::Name(local.to_owned()));
            }
        }
    }
    if previous_empty {
        return Err("a topic expression ends with `/`");
    }
    // `a//.` ends in Descendants, which matches `a` and all below: right.
    Ok(TopicPattern { namespace, steps })
}

fn root_step(root: &str) -> Result<Step, &'static str> {
    match root {
        "*" => Ok(Step::Any),
        _ if is_ncname(root) => Ok(Step::Name(root.to_owned())),
        _ => Err("bad root topic name"),
    }
}

/// An XML NCName, roughly: a letter or `_` first, then letters, digits,
/// `.`, `-`, `_`.
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// A parsed message content expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentExpression {
    root: Expr,
}

/// Where in the message a path looks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Section {
    Any,
    Source,
    Key,
    Data,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Expr {
    Const(bool),
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    /// Items of a section (`element` false: `ElementItem`, never present)
    /// satisfying a predicate.
    Items {
        section: Section,
        simple: bool,
        predicate: Option<Pred>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Pred {
    Not(Box<Pred>),
    And(Box<Pred>, Box<Pred>),
    Or(Box<Pred>, Box<Pred>),
    /// `@Name` (`name` true) or `@Value` compared to a literal.
    Compare {
        name: bool,
        equal: bool,
        literal: String,
    },
}

impl ContentExpression {
    /// Parses the text of a `wsnt:MessageContent` element.
    pub fn parse(element: &Element) -> Result<ContentExpression, FilterError> {
        let dialect = element.attr("Dialect").map(str::trim).unwrap_or("");
        if !dialect.is_empty() && dialect != topics::DIALECT_ITEM_FILTER {
            return Err(FilterError::InvalidMessageContent(format!(
                "unsupported message content dialect {dialect:?}"
            )));
        }
        ContentExpression::parse_text(element.text())
    }

    /// Parses an expression.
    pub fn parse_text(text: &str) -> Result<ContentExpression, FilterError> {
        let invalid = |why: &str| FilterError::InvalidMessageContent(format!("{why}: {text:?}"));
        if text.len() > MAX_EXPRESSION_LEN {
            return Err(invalid("expression too long"));
        }
        let tokens = tokenize(text).map_err(invalid)?;
        let mut parser = Parser {
            tokens: &tokens,
            at: 0,
            depth: 0,
        };
        let root = parser.expr().map_err(invalid)?;
        if parser.at != tokens.len() {
            return Err(invalid("unexpected text after the expression"));
        }
        Ok(ContentExpression { root })
    }

    /// Whether a notification's message satisfies the expression.
    pub fn matches(&self, n: &Notification) -> bool {
        eval(&self.root, n)
    }
}

fn eval(e: &Expr, n: &Notification) -> bool {
    match e {
        Expr::Const(b) => *b,
        Expr::Not(e) => !eval(e, n),
        Expr::And(a, b) => eval(a, n) && eval(b, n),
        Expr::Or(a, b) => eval(a, n) || eval(b, n),
        Expr::Items {
            section,
            simple,
            predicate,
        } => {
            if !simple {
                return false;
            }
            let lists: &[&Vec<(String, String)>] = match section {
                Section::Any => &[&n.source, &n.key, &n.data],
                Section::Source => &[&n.source],
                Section::Key => &[&n.key],
                Section::Data => &[&n.data],
            };
            lists
                .iter()
                .flat_map(|l| l.iter())
                .any(|(name, value)| predicate.as_ref().is_none_or(|p| eval_pred(p, name, value)))
        }
    }
}

fn eval_pred(p: &Pred, name: &str, value: &str) -> bool {
    match p {
        Pred::Not(p) => !eval_pred(p, name, value),
        Pred::And(a, b) => eval_pred(a, name, value) && eval_pred(b, name, value),
        Pred::Or(a, b) => eval_pred(a, name, value) || eval_pred(b, name, value),
        Pred::Compare {
            name: on_name,
            equal,
            literal,
        } => {
            let actual = if *on_name { name } else { value };
            (actual == literal) == *equal
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Slash,
    DoubleSlash,
    At,
    Eq,
    NotEq,
    Literal(String),
    /// A name, possibly prefixed (`tt:SimpleItem`, `and`, `boolean`).
    Name(String),
}

fn tokenize(text: &str) -> Result<Vec<Token>, &'static str> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' | '@' | '=' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::LParen,
                    ')' => Token::RParen,
                    '[' => Token::LBracket,
                    ']' => Token::RBracket,
                    '@' => Token::At,
                    _ => Token::Eq,
                });
            }
            '!' => {
                chars.next();
                match chars.next() {
                    Some((_, '=')) => tokens.push(Token::NotEq),
                    _ => return Err("`!` not followed by `=`"),
                }
            }
            '/' => {
                chars.next();
                if chars.peek().is_some_and(|&(_, c)| c == '/') {
                    chars.next();
                    tokens.push(Token::DoubleSlash);
                } else {
                    tokens.push(Token::Slash);
                }
            }
            '"' | '\'' => {
                chars.next();
                let start = i + 1;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    if d == c {
                        end = Some(j);
                        break;
                    }
                }
                let end = end.ok_or("unterminated string literal")?;
                tokens.push(Token::Literal(
                    text.get(start..end).unwrap_or("").to_owned(),
                ));
            }
            c if c.is_alphabetic() || c == '_' || c == '*' => {
                let start = i;
                let mut end = i;
                while let Some(&(j, d)) = chars.peek() {
                    if d.is_alphanumeric() || matches!(d, '_' | '-' | '.' | ':' | '*') {
                        end = j + d.len_utf8();
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(Token::Name(text.get(start..end).unwrap_or("").to_owned()));
            }
            _ => return Err("unexpected character"),
        }
        if tokens.len() > MAX_EXPRESSION_LEN {
            return Err("expression too long");
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [Token],
    at: usize,
    depth: usize,
}

/// The local part of a possibly prefixed name.
fn local(name: &str) -> &str {
    name.rsplit_once(':').map_or(name, |(_, l)| l)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<&Token> {
        let t = self.tokens.get(self.at);
        self.at += 1;
        t
    }

    fn expect(&mut self, t: &Token, what: &'static str) -> Result<(), &'static str> {
        if self.next() == Some(t) {
            Ok(())
        } else {
            Err(what)
        }
    }

    fn is_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Name(n)) if n == word)
    }

    fn enter(&mut self) -> Result<(), &'static str> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            Err("expression nested too deeply")
        } else {
            Ok(())
        }
    }

    fn expr(&mut self) -> Result<Expr, &'static str> {
        self.enter()?;
        let mut left = self.and_expr()?;
        while self.is_keyword("or") {
            self.at += 1;
            let right = self.and_expr()?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        self.depth -= 1;
        Ok(left)
    }

    fn and_expr(&mut self) -> Result<Expr, &'static str> {
        let mut left = self.unary()?;
        while self.is_keyword("and") {
            self.at += 1;
            let right = self.unary()?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Expr, &'static str> {
        match self.peek() {
            Some(Token::LParen) => {
                self.at += 1;
                let e = self.expr()?;
                self.expect(&Token::RParen, "missing `)`")?;
                Ok(e)
            }
            Some(Token::Name(n))
                if matches!(n.as_str(), "boolean" | "not" | "true" | "false")
                    && self.tokens.get(self.at + 1) == Some(&Token::LParen) =>
            {
                let function = n.clone();
                self.at += 2;
                let e = match function.as_str() {
                    "true" => Expr::Const(true),
                    "false" => Expr::Const(false),
                    _ => self.expr()?,
                };
                self.expect(&Token::RParen, "missing `)` after a function argument")?;
                Ok(match function.as_str() {
                    "not" => Expr::Not(Box::new(e)),
                    _ => e,
                })
            }
            Some(Token::Slash | Token::DoubleSlash | Token::Name(_)) => self.path(),
            _ => Err("expected an expression"),
        }
    }

    /// `//tt:Message/tt:Source/tt:SimpleItem[...]` and shorter forms.
    fn path(&mut self) -> Result<Expr, &'static str> {
        let mut section = Section::Any;
        let mut item = None;
        let mut steps = 0;
        loop {
            if matches!(self.peek(), Some(Token::Slash | Token::DoubleSlash)) {
                self.at += 1;
            } else if steps > 0 {
                break;
            }
            let Some(Token::Name(name)) = self.next() else {
                return Err("expected an element name in a path");
            };
            steps += 1;
            if item.is_some() {
                return Err("nothing may follow SimpleItem or ElementItem in a path");
            }
            match local(name) {
                "Message" | "*" if section == Section::Any => {}
                "Source" => section = Section::Source,
                "Key" => section = Section::Key,
                "Data" => section = Section::Data,
                "SimpleItem" => item = Some(true),
                "ElementItem" => item = Some(false),
                _ => return Err("unsupported element in a path"),
            }
            if steps > 8 {
                return Err("path too long");
            }
            if !matches!(self.peek(), Some(Token::Slash | Token::DoubleSlash)) {
                break;
            }
        }
        let simple = item.ok_or("a path must select SimpleItem or ElementItem")?;
        let mut predicate: Option<Pred> = None;
        while self.peek() == Some(&Token::LBracket) {
            self.at += 1;
            self.enter()?;
            let p = self.pred_or()?;
            self.depth -= 1;
            self.expect(&Token::RBracket, "missing `]`")?;
            predicate = Some(match predicate {
                Some(prev) => Pred::And(Box::new(prev), Box::new(p)),
                None => p,
            });
        }
        Ok(Expr::Items {
            section,
            simple,
            predicate,
        })
    }

    fn pred_or(&mut self) -> Result<Pred, &'static str> {
        let mut left = self.pred_and()?;
        while self.is_keyword("or") {
            self.at += 1;
            let right = self.pred_and()?;
            left = Pred::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn pred_and(&mut self) -> Result<Pred, &'static str> {
        let mut left = self.pred_atom()?;
        while self.is_keyword("and") {
            self.at += 1;
            let right = self.pred_atom()?;
            left = Pred::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn pred_atom(&mut self) -> Result<Pred, &'static str> {
        match self.peek() {
            Some(Token::LParen) => {
                self.at += 1;
                self.enter()?;
                let p = self.pred_or()?;
                self.depth -= 1;
                self.expect(&Token::RParen, "missing `)`")?;
                Ok(p)
            }
            Some(Token::Name(n))
                if n == "not" && self.tokens.get(self.at + 1) == Some(&Token::LParen) =>
            {
                self.at += 2;
                self.enter()?;
                let p = self.pred_or()?;
                self.depth -= 1;
                self.expect(&Token::RParen, "missing `)` after not(")?;
                Ok(Pred::Not(Box::new(p)))
            }
            Some(Token::At) => {
                let name = self.attribute()?;
                let equal = self.operator()?;
                let literal = self.literal()?;
                Ok(Pred::Compare {
                    name,
                    equal,
                    literal,
                })
            }
            Some(Token::Literal(_)) => {
                let literal = self.literal()?;
                let equal = self.operator()?;
                let name = self.attribute()?;
                Ok(Pred::Compare {
                    name,
                    equal,
                    literal,
                })
            }
            _ => Err("expected a comparison of @Name or @Value"),
        }
    }

    /// `@Name` (true) or `@Value` (false).
    fn attribute(&mut self) -> Result<bool, &'static str> {
        self.expect(&Token::At, "expected `@`")?;
        match self.next() {
            Some(Token::Name(n)) if n == "Name" => Ok(true),
            Some(Token::Name(n)) if n == "Value" => Ok(false),
            _ => Err("only @Name and @Value can be compared"),
        }
    }

    /// `=` (true) or `!=` (false).
    fn operator(&mut self) -> Result<bool, &'static str> {
        match self.next() {
            Some(Token::Eq) => Ok(true),
            Some(Token::NotEq) => Ok(false),
            _ => Err("expected `=` or `!=`"),
        }
    }

    fn literal(&mut self) -> Result<String, &'static str> {
        match self.next() {
            Some(Token::Literal(l)) => Ok(l.clone()),
            _ => Err("expected a quoted string"),
        }
    }
}

/// A subscription's filter: every topic expression must match (WS-BN
/// filters are conjunctive), and every message content expression.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    topics: Vec<TopicExpression>,
    content: Vec<ContentExpression>,
}

/// Most filter elements in one `wsnt:Filter`.
const MAX_FILTER_ELEMENTS: usize = 16;

impl Filter {
    /// A filter that lets everything through.
    pub fn all() -> Filter {
        Filter::default()
    }

    /// Parses a `wsnt:Filter` element (`None`: no filter).
    pub fn parse(filter: Option<&Element>) -> Result<Filter, FilterError> {
        let mut out = Filter::default();
        let Some(filter) = filter else {
            return Ok(out);
        };
        if filter.children.len() > MAX_FILTER_ELEMENTS {
            return Err(FilterError::InvalidFilter(
                "too many filter elements".into(),
            ));
        }
        for child in &filter.children {
            match child.name.as_str() {
                "TopicExpression" => {
                    let expression = TopicExpression::parse(child)?;
                    if !topics::ALL_TOPICS
                        .iter()
                        .any(|t| expression.matches(&t.qualified()))
                    {
                        return Err(FilterError::TopicNotSupported(format!(
                            "no topic of this device matches {:?}",
                            child.text()
                        )));
                    }
                    out.topics.push(expression);
                }
                "MessageContent" => out.content.push(ContentExpression::parse(child)?),
                "ProducerProperties" => {
                    return Err(FilterError::InvalidFilter(
                        "producer properties filters are not supported".into(),
                    ));
                }
                other => {
                    return Err(FilterError::InvalidFilter(format!(
                        "unknown filter element {other:?}"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// Whether a topic passes the topic part of the filter.
    pub fn matches_topic(&self, topic: &str) -> bool {
        self.topics.iter().all(|t| t.matches(topic))
    }

    /// Whether a notification passes the filter.
    pub fn matches(&self, n: &Notification) -> bool {
        self.matches_topic(&n.topic) && self.content.iter().all(|c| c.matches(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::onvif::xml::{self, XmlLimits};
    use std::time::Duration;

    fn topic_element(dialect: &str, text: &str) -> Element {
        let doc = format!(
            r#"<wsnt:TopicExpression xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:x="urn:x" Dialect="{dialect}">{text}</wsnt:TopicExpression>"#
        );
        xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap()
    }

    fn topic(text: &str) -> TopicExpression {
        TopicExpression::parse(&topic_element(topics::DIALECT_CONCRETE_SET, text)).unwrap()
    }

    #[test]
    fn topic_expressions() {
        let motion = "tns1:RuleEngine/CellMotionDetector/Motion";
        let alarm = "tns1:VideoSource/MotionAlarm";
        assert!(topic(motion).matches(motion));
        assert!(!topic(motion).matches(alarm));
        assert!(topic("tns1:RuleEngine//.").matches(motion));
        assert!(topic("tns1:RuleEngine//Motion").matches(motion));
        assert!(!topic("tns1:RuleEngine//.").matches(alarm));
        assert!(topic("tns1:VideoSource/*").matches(alarm));
        assert!(
            !topic("tns1:VideoSource/*").matches("tns1:VideoSource/ImageTooDark/ImagingService")
        );
        assert!(
            topic("tns1:VideoSource//.").matches("tns1:VideoSource/ImageTooDark/ImagingService")
        );
        assert!(topic(&format!(" {motion} | {alarm} ")).matches(alarm));
        assert!(topic("tns1:RuleEngine/tns1:CellMotionDetector/Motion").matches(motion));
        assert!(topic("tns1:*//.").matches(alarm));
        assert!(!topic("x:VideoSource/MotionAlarm").matches(alarm));
        let simple =
            TopicExpression::parse(&topic_element(topics::DIALECT_SIMPLE, "tns1:VideoSource"))
                .unwrap();
        assert!(simple.matches(alarm));
        for bad in [
            "",
            "tns1:",
            "/tns1:A",
            "tns1:A/",
            "tns1:A///B",
            "nope:A",
            "tns1:A|",
            "tns1:A B",
        ] {
            assert!(
                matches!(
                    TopicExpression::parse(&topic_element(topics::DIALECT_CONCRETE_SET, bad)),
                    Err(FilterError::InvalidTopicExpression(_))
                ),
                "{bad:?}"
            );
        }
        assert!(matches!(
            TopicExpression::parse(&topic_element("urn:unknown", "tns1:A")),
            Err(FilterError::TopicDialectUnknown(_))
        ));
    }

    #[test]
    fn undeclared_tns1_is_the_onvif_namespace() {
        let doc = r#"<TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource/MotionAlarm</TopicExpression>"#;
        let e = xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
        assert!(
            TopicExpression::parse(&e)
                .unwrap()
                .matches("tns1:VideoSource/MotionAlarm")
        );
    }

    fn note() -> Notification {
        let mut n = Notification::new(topics::CELL_MOTION.qualified(), Duration::ZERO);
        n.source
            .push(("VideoSourceConfigurationToken".into(), "VSC_1".into()));
        n.source
            .push(("Rule".into(), "MyMotionDetectorRule".into()));
        n.data.push(("IsMotion".into(), "true".into()));
        n
    }

    fn content(text: &str) -> bool {
        ContentExpression::parse_text(text)
            .unwrap()
            .matches(&note())
    }

    #[test]
    fn content_expressions() {
        assert!(content(
            r#"boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"])"#
        ));
        assert!(!content(
            r#"boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="false"])"#
        ));
        assert!(content(
            r#"boolean(//tt:Source/tt:SimpleItem[@Name="VideoSourceConfigurationToken" and @Value="VSC_1"])"#
        ));
        assert!(!content(
            r#"boolean(//tt:Data/tt:SimpleItem[@Name="VideoSourceConfigurationToken"])"#
        ));
        assert!(content(
            r#"//tt:Message/tt:Data/tt:SimpleItem[@Name='IsMotion']"#
        ));
        assert!(content(r#"not(boolean(//tt:SimpleItem[@Name="Nope"]))"#));
        assert!(content(
            r#"boolean(//tt:SimpleItem[@Name="A"]) or boolean(//tt:SimpleItem[@Value!="x"])"#
        ));
        assert!(!content(
            r#"boolean(//tt:SimpleItem[@Name="Rule"]) and boolean(//tt:ElementItem)"#
        ));
        assert!(content(
            r#"boolean(//tt:SimpleItem[@Name="Rule"][@Value="MyMotionDetectorRule"])"#
        ));
        assert!(content(
            r#"boolean(//tt:SimpleItem["IsMotion"=@Name and not(@Value="false")])"#
        ));
        assert!(content("true()"));
        assert!(!content("(false())"));
        for bad in [
            "",
            "boolean(",
            "//tt:SimpleItem[@Name=]",
            "//tt:Foo",
            "//tt:SimpleItem[@Other=\"x\"]",
            "count(//tt:SimpleItem) > 1",
            "boolean(//tt:SimpleItem[@Name=\"x])",
            "//tt:SimpleItem/tt:Data",
        ] {
            assert!(ContentExpression::parse_text(bad).is_err(), "{bad:?}");
        }
        let deep = format!("{}true(){}", "(".repeat(100), ")".repeat(100));
        assert!(ContentExpression::parse_text(&deep).is_err());
    }

    #[test]
    fn filters_conjoin_and_refuse_unknown_topics() {
        let doc = r#"<wsnt:Filter xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tns1="http://www.onvif.org/ver10/topics">
            <wsnt:TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:RuleEngine//.</wsnt:TopicExpression>
            <wsnt:MessageContent Dialect="http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter">boolean(//tt:SimpleItem[@Name="IsMotion" and @Value="true"])</wsnt:MessageContent>
        </wsnt:Filter>"#;
        let e = xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
        let f = Filter::parse(Some(&e)).unwrap();
        assert!(f.matches(&note()));
        let mut off = note();
        off.data[0].1 = "false".into();
        assert!(!f.matches(&off));
        assert!(Filter::all().matches(&off));
        let doc = r#"<Filter><TopicExpression Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:Nothing/Here</TopicExpression></Filter>"#;
        let e = xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
        assert!(matches!(
            Filter::parse(Some(&e)),
            Err(FilterError::TopicNotSupported(_))
        ));
        let doc = r#"<Filter><ProducerProperties>x</ProducerProperties></Filter>"#;
        let e = xml::parse(doc.as_bytes(), &XmlLimits::default()).unwrap();
        assert!(matches!(
            Filter::parse(Some(&e)),
            Err(FilterError::InvalidFilter(_))
        ));
    }
}
