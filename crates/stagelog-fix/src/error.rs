//! Why a fix is not written in place. The editors refuse rather than guess: each refusal is a
//! value, and `fix` lists the finding for a person with it (and, for templates, the snippet to
//! paste).

/// Why a YAML or JSON text is not edited in place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("{path} is shared through a YAML anchor")]
    Anchor { path: String },
    #[error("{path} is an intrinsic function")]
    Intrinsic { path: String },
    #[error("{path} is written in flow style ({{…}})")]
    FlowMapping { path: String },
    #[error("{path} is written in flow style ([…])")]
    FlowSequence { path: String },
    #[error("{path} is not a plain key")]
    NotAPlainKey { path: String },
    #[error("{path} has repeated or merged keys")]
    RepeatedKeys { path: String },
    #[error("a key under {path} would be removed")]
    KeyRemoved { path: String },
    #[error("items of {path} would be removed")]
    ItemsRemoved { path: String },
    #[error("the indentation of {path} is unclear")]
    UnclearIndentation { path: String },
    #[error("{path} spans several lines")]
    MultiLine { path: String },
    #[error("{path} would change shape")]
    ChangesShape { path: String },
    #[error("unexpected YAML layout")]
    YamlLayout,
    #[error("unexpected JSON layout")]
    JsonLayout,
    #[error("cannot read the JSON layout")]
    UnreadableJsonLayout,
    #[error("the edit would not parse")]
    WouldNotParse,
    #[error("the edit would not read back the same")]
    NotTheSame,
    #[error("two fixes overlap in this file; fix it in two runs")]
    Overlap,
}

/// Why a file is not fixed at all (its findings stay as the scan reported them): it does not
/// parse, or the fixed text would not.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read: {0}")]
    Read(#[from] std::io::Error),
    #[error("cannot parse HCL: {0}")]
    Hcl(String),
    #[error("cannot parse YAML: {0}")]
    Yaml(String),
    #[error("cannot parse JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("{0} is empty")]
    Empty(&'static str),
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("the fixed file does not parse ({0}); nothing written")]
    FixedDoesNotParse(String),
}
