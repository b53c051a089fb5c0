//! ANSI styling that disappears entirely when color is off.

/// Paints text with ANSI escape codes, or returns it unchanged when `color` is false.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Style {
    pub color: bool,
}

impl Style {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(&self, text: &str) -> String {
        self.wrap("1", text)
    }

    pub fn green(&self, text: &str) -> String {
        self.wrap("32", text)
    }

    pub fn yellow(&self, text: &str) -> String {
        self.wrap("33", text)
    }

    pub fn red(&self, text: &str) -> String {
        self.wrap("31", text)
    }

    pub fn cyan(&self, text: &str) -> String {
        self.wrap("36", text)
    }

    pub fn bold_red(&self, text: &str) -> String {
        self.wrap("1;31", text)
    }

    pub fn bold_yellow(&self, text: &str) -> String {
        self.wrap("1;33", text)
    }

    pub fn bold_green(&self, text: &str) -> String {
        self.wrap("1;32", text)
    }
}
