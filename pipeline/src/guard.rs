//! The one guard around every parser of outside input, and the one place a
//! panic's payload becomes a message.
//!
//! A parser (ours, or a crate's, such as a `debug_assert!` of mail-parser
//! on nested `message/rfc822` parts) that panics on one input must not
//! stop the run: [`parse`] turns the panic into a [`ParserPanic`], which
//! the reader quarantines as `UNREADABLE` with the input's source, and the
//! next input is read. Only the parse is guarded, never the store writes
//! that follow it, so a caught panic leaves no half-written state.
//!
//! The panic hook prints every panic to stderr (a backtrace note
//! included). The binary's hook asks [`quiet`] first: inside a guard it
//! notes where the panic happened and prints nothing, and [`parse`] logs
//! one line naming the input and the place, without the payload (which may
//! quote the input, and so a name or a NIK).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::fmt;
use std::panic::{AssertUnwindSafe, PanicHookInfo, catch_unwind};

thread_local! {
    /// How many guards the current thread is inside.
    static GUARDED: Cell<u32> = const { Cell::new(0) };
    /// Where the last guarded panic happened, as the hook saw it.
    static LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
    /// Test seam: a guarded parse whose source contains one of these panics.
    #[cfg(test)]
    static INJECT: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A parser that panicked on one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParserPanic {
    /// The panic's message, as the parser wrote it.
    pub message: String,
    /// Where in the code it panicked (`file:line`), when the panic hook
    /// could tell.
    pub location: Option<String>,
}

impl fmt::Display for ParserPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the parser stopped on an internal error (a bug in the parser, please report it): {}",
            self.message
        )?;
        if let Some(at) = &self.location {
            write!(f, " (at {at})")?;
        }
        Ok(())
    }
}

/// A panic's payload as text: the `String` or `&str` that `panic!` and
/// `assert!` carry, else a placeholder.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "(no message)".into())
}

/// Runs `f`, giving a panic back as its message (the job runner's catch of
/// a stage; the panic hook still prints it, as it is a bug of sigap's).
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| panic_message(&*payload))
}

/// Parses one input of `source` (a file, `file:line`, a message) with `f`.
/// A panic in `f` comes back as a [`ParserPanic`] and is logged as one line
/// naming `source`; the hook prints nothing (see [`quiet`]).
pub fn parse<T>(source: &str, f: impl FnOnce() -> T) -> Result<T, ParserPanic> {
    GUARDED.with(|g| g.set(g.get() + 1));
    LOCATION.with(|l| l.borrow_mut().take());
    let result = catch_unwind(AssertUnwindSafe(|| {
        #[cfg(test)]
        if INJECT.with(|i| i.borrow().iter().any(|s| source.contains(s.as_str()))) {
            panic!("injected parser panic");
        }
        f()
    }));
    GUARDED.with(|g| g.set(g.get() - 1));
    result.map_err(|payload| {
        let panic = ParserPanic {
            message: panic_message(&*payload),
            location: LOCATION.with(|l| l.borrow_mut().take()),
        };
        tracing::warn!(
            "{source}: the parser stopped on an internal error at {}; the input is quarantined as UNREADABLE",
            panic.location.as_deref().unwrap_or("an unknown place")
        );
        panic
    })
}

/// For the process's panic hook: whether the panic happens inside
/// [`parse`] (then the hook prints nothing; the guard logs it). Notes the
/// panic's place for the guard's message.
pub fn quiet(info: &PanicHookInfo<'_>) -> bool {
    if GUARDED.with(Cell::get) == 0 {
        return false;
    }
    let at = info
        .location()
        .map(|l| format!("{}:{}", l.file(), l.line()));
    LOCATION.with(|l| *l.borrow_mut() = at);
    true
}

/// Installs a panic hook that keeps guarded panics quiet ([`quiet`]) and
/// hands the rest to the hook installed before (for tests; the binary
/// asks [`quiet`] from its own hook).
#[cfg(test)]
pub(crate) fn install_quiet_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !quiet(info) {
                before(info)
            }
        }));
    });
}

/// Test seam: guarded parses on this thread whose source contains one of
/// `sources` panic (none do after `&[]`), as a parser with a bug would.
#[cfg(test)]
pub(crate) fn inject_panic(sources: &[&str]) {
    install_quiet_hook();
    INJECT.with(|i| *i.borrow_mut() = sources.iter().map(|s| s.to_string()).collect());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_guarded_panic_comes_back_with_its_message_and_place() {
        install_quiet_hook();
        let p = parse("inbox/mail/x.eml", || -> u32 { panic!("Invalid part ID") }).unwrap_err();
        assert_eq!(p.message, "Invalid part ID");
        assert!(
            p.location
                .as_deref()
                .is_some_and(|l| l.contains("guard.rs")),
            "{p:?}"
        );
        assert!(p.to_string().contains("Invalid part ID"), "{p}");
        assert_eq!(parse("x", || 7), Ok(7));
        // Outside a guard the hook is not quiet, and nested guards unwind.
        assert_eq!(GUARDED.with(Cell::get), 0);
        let nested = parse("outer", || parse("inner", || -> u8 { panic!("in") }));
        assert!(matches!(nested, Ok(Err(ParserPanic { .. }))));
        assert_eq!(catch(|| -> u8 { panic!("{}", 5) }), Err("5".to_string()));
    }
}
