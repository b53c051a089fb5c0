//! Filesystem functions: file, templatefile, abspath. Relative paths resolve against the
//! context's `base_dir`.

use std::cell::Cell;
use std::path::{Component, Path, PathBuf};

use aiu_model::Value;

use super::{take, Call};
use crate::template::eval_template_str;
use crate::{EvalContext, EvalError};

fn resolve(call: &Call, path: &str) -> PathBuf {
    let path = Path::new(path);
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        call.ctx.base_dir.join(path)
    }
}

fn read(call: &Call, path: &str) -> Result<String, EvalError> {
    let full = resolve(call, path);
    let bytes = std::fs::read(&full).map_err(|e| {
        call.arg_error(
            0,
            format!(
                "could not read the file \"{}\": {e}. Paths are relative to the module directory.",
                full.display()
            ),
        )
    })?;
    String::from_utf8(bytes).map_err(|_| {
        call.arg_error(
            0,
            format!("the file \"{}\" is not valid UTF-8 text.", full.display()),
        )
    })
}

/// `file(path)`: the contents of a UTF-8 text file.
pub(super) fn file(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [path] = take(call, args)?;
    let path = call.string(0, &path)?;
    Ok(Value::String(read(call, &path)?))
}

/// `templatefile(path, vars)`: the file rendered as a template whose only names are `vars`.
pub(super) fn templatefile(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [path, vars] = take(call, args)?;
    let path = call.string(0, &path)?;
    let vars = call.map(1, &vars)?;
    let text = read(call, &path)?;
    if IN_TEMPLATEFILE.with(Cell::get) {
        return Err(call.error("templatefile() cannot be called from inside a template file; render nested templates separately and pass the result in vars."));
    }
    let ctx = EvalContext {
        root: vars.clone(),
        base_dir: call.ctx.base_dir.clone(),
    };
    IN_TEMPLATEFILE.with(|flag| flag.set(true));
    let result = eval_template_str(&text, &ctx);
    IN_TEMPLATEFILE.with(|flag| flag.set(false));
    result.map_err(|e| {
        EvalError::new(
            e.summary,
            format!("{} (in template file \"{path}\")", e.detail),
        )
    })
}

thread_local! {
    /// Set while a template file renders, so a template cannot recurse into itself forever.
    static IN_TEMPLATEFILE: Cell<bool> = const { Cell::new(false) };
}

/// `abspath(path)`: an absolute path with `.` and `..` resolved and `/` separators.
pub(super) fn abspath(call: &Call, args: Vec<Value>) -> Result<Value, EvalError> {
    let [path] = take(call, args)?;
    let path = call.string(0, &path)?;
    let mut full = resolve(call, &path);
    if full.is_relative() {
        if let Ok(cwd) = std::env::current_dir() {
            full = cwd.join(full);
        }
    }
    let mut normal = PathBuf::new();
    for component in full.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                normal.pop();
            }
            other => normal.push(other.as_os_str()),
        }
    }
    Ok(Value::String(normal.to_string_lossy().replace('\\', "/")))
}

#[cfg(test)]
mod tests {
    use crate::test_support::{ctx, obj, parse};
    use crate::{eval, EvalContext};
    use aiu_model::Value;

    fn temp_dir_with(files: &[(&str, &str)]) -> EvalContext {
        let dir = std::env::temp_dir().join(format!(
            "aiu-lang-test-{}-{}",
            std::process::id(),
            files.len()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("write test file");
        }
        EvalContext {
            base_dir: dir,
            ..ctx([])
        }
    }

    #[test]
    fn file_reads_relative_to_the_base_dir_and_reports_missing_files() {
        let ctx = temp_dir_with(&[("policy.json", "{\"a\": 1}")]);
        assert_eq!(
            eval(&parse("file(\"policy.json\")"), &ctx),
            Ok(Value::from("{\"a\": 1}"))
        );
        let e = eval(&parse("file(\"missing.json\")"), &ctx).unwrap_err();
        assert!(e.detail.contains("could not read the file"), "{}", e.detail);
    }

    #[test]
    fn templatefile_renders_with_only_the_given_vars() {
        let ctx = temp_dir_with(&[
            ("t.tpl", "Hi ${name}!%{ for r in roles } ${r}%{ endfor }"),
            ("bad.tpl", "${var.x}"),
            ("loop.tpl", "${templatefile(\"loop.tpl\", {})}"),
        ]);
        let v = eval(
            &parse("templatefile(\"t.tpl\", {name = \"bob\", roles = [\"a\", \"b\"]})"),
            &ctx,
        );
        assert_eq!(v, Ok(Value::from("Hi bob! a b")));
        let e = eval(&parse("templatefile(\"bad.tpl\", {})"), &ctx).unwrap_err();
        assert!(e.detail.contains("bad.tpl"), "{}", e.detail);
        let e = eval(&parse("templatefile(\"loop.tpl\", {})"), &ctx).unwrap_err();
        assert!(
            e.detail
                .contains("cannot be called from inside a template file"),
            "{}",
            e.detail
        );
        let unknown = EvalContext {
            root: [("u".to_owned(), obj([("x", Value::Unknown)]))].into(),
            ..ctx
        };
        assert_eq!(
            eval(
                &parse("templatefile(\"t.tpl\", {name = u.x, roles = []})"),
                &unknown
            ),
            Ok(Value::Unknown)
        );
    }

    #[test]
    fn abspath_joins_and_normalizes() {
        let ctx = EvalContext {
            base_dir: "/work/mod".into(),
            ..ctx([])
        };
        assert_eq!(
            eval(&parse("abspath(\"../x/./y\")"), &ctx),
            Ok(Value::from("/work/x/y"))
        );
        assert_eq!(
            eval(&parse("abspath(\"/etc\")"), &ctx),
            Ok(Value::from("/etc"))
        );
    }
}
