//! Optional debug output (the C# library's DEBUG event) through `tracing`,
//! enabled with the `tracing` feature. Only public facts are logged — message
//! types, states, instance tags, event names — never keys, secrets or text.

/// Logs a debug line when the `tracing` feature is on; compiles to nothing
/// otherwise (the arguments are still type-checked).
macro_rules! debug_log {
    ($($arg:tt)*) => {{
        #[cfg(feature = "tracing")]
        tracing::debug!(target: "otr", $($arg)*);
        #[cfg(not(feature = "tracing"))]
        {
            let _ = format_args!($($arg)*);
        }
    }};
}
