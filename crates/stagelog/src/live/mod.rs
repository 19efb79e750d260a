//! The one place the `aws` feature is switched, as ripgrep switches its features: the live
//! commands with the AWS SDK (`enabled`), or a clear error without it (`disabled`). Both
//! offer the same functions; nothing else in the binary names the feature.

#[cfg(feature = "aws")]
mod enabled;
#[cfg(feature = "aws")]
pub use enabled::*;

#[cfg(not(feature = "aws"))]
mod disabled;
#[cfg(not(feature = "aws"))]
pub use disabled::*;
