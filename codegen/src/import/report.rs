//! What an import did: the operations it kept and skipped, and every kind of change, counted.

use std::collections::BTreeMap;
use std::fmt;

/// The outcome of [`import`](super::import), for people: print it with `Display`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The product name the description was imported as.
    pub product: String,
    /// The published document's `info.version` (Infobip's platform version).
    pub source_version: String,
    /// The operations in the written description, in the document's order.
    pub kept: Vec<OperationRef>,
    /// The operations left out, in the document's order, each with the reason.
    pub skipped: Vec<SkippedOperation>,
    /// Number of schemas in the written description.
    pub schemas: usize,
    /// Schemas whose readable name was taken by another schema, with the name they got.
    pub suffixed: Vec<Suffixed>,
    /// Every change made on the way, one entry per kind, with how often it was made in what
    /// was kept (changes to dropped operations and schemas are not counted).
    pub changes: BTreeMap<Change, usize>,
    /// Number of types progenitor generated from the written description.
    pub types: usize,
    /// The kinds of event kept in `x-webhooks`, in the document's order.
    pub webhooks: Vec<String>,
    /// The webhooks left out, each with the reason.
    pub skipped_webhooks: Vec<super::SkippedWebhook>,
}

/// An operation of the published document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRef {
    /// The operationId, or `METHOD /path` when it has none.
    pub name: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template.
    pub path: String,
    /// Marked `deprecated: true` in the document (imported all the same; the client marks
    /// it `#[deprecated]`).
    pub deprecated: bool,
}

impl fmt::Display for OperationRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.name == format!("{} {}", self.method, self.path) {
            f.write_str(&self.name)?;
        } else {
            write!(f, "{} ({} {})", self.name, self.method, self.path)?;
        }
        if self.deprecated {
            f.write_str(", deprecated")?;
        }
        Ok(())
    }
}

/// An operation the import left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedOperation {
    /// Which operation.
    pub operation: OperationRef,
    /// Why.
    pub reason: SkipReason,
}

/// Why an operation was left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    /// Another description under `spec/` already has it; the project's own description wins.
    DescribedElsewhere {
        /// The file that describes it.
        file: String,
        /// What matched: `operationId create-session` or `POST /auth/1/session`.
        matched: String,
    },
    /// Not named in `--operations`.
    NotSelected,
    /// A construct the import cannot turn into something progenitor reads.
    Unconvertible {
        /// JSON pointer into the published document.
        pointer: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotSelected => f.write_str("not named in --operations"),
            SkipReason::DescribedElsewhere { file, matched } => write!(
                f,
                "already described in {file} ({matched}); the project's own description wins"
            ),
            SkipReason::Unconvertible { pointer, reason } => write!(f, "{pointer}: {reason}"),
        }
    }
}

/// A schema that kept its content but not its readable name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suffixed {
    /// The key in the published document.
    pub original: String,
    /// The key in the written description.
    pub name: String,
}

/// One kind of change; the report counts how often each was made.
///
/// The order of the variants is the order of the report's lines.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// `openapi: 3.1.x` written as `3.0.3`.
    Version(String),
    /// Webhook payload media types other than JSON (XML, form encoding), by media type: the
    /// receiver reads JSON.
    WebhookMediaDropped(String),
    /// Inline webhook payload schemas moved into `components.schemas` as `<Name>Payload`, so
    /// that their generated types have a name.
    WebhookPayloadNamed,
    /// Top-level keys that the written form has no use for.
    TopLevelDropped(String),
    /// Tag definitions (the operations keep their tags).
    TagDefinitionsDropped,
    /// Vendor extensions, by name (`x-scopes` and `x-deprecationInformation` on operations are kept).
    ExtensionDropped(String),
    /// Descriptions, summaries, titles and examples, by keyword (kept with `--keep-docs`).
    DocsDropped(String),
    /// Operation callbacks, which progenitor does not read.
    CallbacksDropped,
    /// Response headers and links, which progenitor does not read.
    ResponseHeadersDropped,
    /// Request body media types dropped because JSON is offered too, by media type.
    RequestMediaDropped(String),
    /// Response media types dropped because JSON is offered too, by media type.
    ResponseMediaDropped(String),
    /// `content` entries whose key is not a media type at all.
    NotAMediaType(String),
    /// `*/*` bodies whose schema is JSON declared as `application/json`.
    AnyMediaToJson,
    /// A `*/*` success body whose schema is not JSON (a file) declared as
    /// `application/octet-stream`: a byte stream.
    AnyMediaToOctetStream,
    /// Error responses without a body or without a schema for it, dropped (progenitor needs a
    /// body schema for each declared error; the status still arrives as
    /// `Error::UnexpectedResponse`).
    BodilessErrorDropped,
    /// Error responses pointed at the one shared error body (`ErrorBody`), whatever schema
    /// the document gave each status.
    ErrorBodyShared,
    /// Error statuses (`401`) that a range of the same operation (`4XX`) covers, once both
    /// carry the shared body.
    CoveredErrorStatusDropped,
    /// JSON bodies declared without a schema, given an empty schema (any JSON value).
    MissingSchemaAsAny,
    /// `type: [T, "null"]` written as `type: T` + `nullable: true`.
    TypeArrayToNullable,
    /// `type: "null"` beside `allOf`/`oneOf`/`anyOf`, or a `{type: "null"}` member of
    /// `oneOf`/`anyOf`, written as `nullable: true`.
    NullTypeToNullable,
    /// `const` written as a one-value `enum`.
    ConstToEnum,
    /// Schema `examples` arrays written as one `example`.
    ExamplesToExample,
    /// Numeric `exclusiveMinimum`/`exclusiveMaximum` written in the 3.0 boolean form.
    ExclusiveBound,
    /// Flags set to their default (`readOnly: false`, ...), by keyword.
    FalseFlagDropped(String),
    /// Parameters named like a secret (`password`, ...) marked `format: password`.
    SecretParameterMarked,
    /// Lower bounds of zero (`minLength: 0`, ...), which bound nothing, by keyword.
    ZeroMinimumDropped(String),
    /// `allOf` with a single `$ref` and nothing else written as the `$ref`.
    SingleAllOfUnwrapped,
    /// Documentation beside a `$ref`, which 3.0 ignores, dropped.
    RefSiblingDocsDropped,
    /// A `$ref` with other keys beside it wrapped in `allOf: [$ref]`.
    RefSiblingsWrapped,
    /// JSON Schema keywords that 3.0 lacks and that only annotate, by keyword.
    AnnotationDropped(String),
    /// `xml` hints (the written form speaks JSON only).
    XmlHintsDropped,
    /// Enums that listed a value twice (typify refuses them), deduplicated.
    EnumDuplicatesRemoved,
    /// String enums with two values that typify would give the same Rust variant name
    /// (`DELIVERED` and `delivered`, `a-b` and `a_b`; typify panics on them), written as a
    /// plain `type: string` so that every value stays accepted.
    ClashingEnumToString,
    /// `enum`s whose values do not have the schema's type (a list of strings on an array),
    /// dropped; typify refuses them.
    MisplacedEnumDropped,
    /// `pattern`s that typify's regex engine (ECMAScript syntax) refuses, such as Java's
    /// inline flags `(?i)`, dropped.
    PatternDropped,
    /// `default`s that do not have the schema's type or are not among its `enum` values
    /// (typify refuses them), dropped.
    DefaultDropped,
    /// Enums with values that have surrounding spaces: kept on the wire; typify trims the
    /// Rust variant name.
    PaddedEnumValuesKept,
    /// Discriminated unions written as `oneOf` of their mapped schemas.
    DiscriminatorToOneOf,
    /// The shared part of a union moved to `<Name>Base`, which the variants include (in the
    /// published form they include the union itself, a cycle).
    DiscriminatorBaseSplit,
    /// Variants whose discriminator property was pinned to their mapped value(s), so that
    /// deserialisation picks the right variant.
    DiscriminatorPinned,
    /// Union variants whose discriminator could not be pinned (the variant is itself a union
    /// or a bare reference, or two unions want different values): reading them may pick the
    /// wrong variant.
    DiscriminatorVariantUnpinned,
    /// `allOf`s whose members redefine a property, flattened with the later definition winning
    /// (typify would intersect the definitions, without end for recursive types).
    AllOfFlattened,
    /// Identical schemas under different keys with the same readable name merged into one.
    IdenticalSchemasMerged,
    /// Copies of a schema that accept less than another copy with the same readable name
    /// (it only adds optional properties, or requires fewer where no request uses them),
    /// merged into that copy.
    NarrowerCopiesMerged,
    /// Content-hash prefixes removed from schema names.
    HashPrefixRemoved,
    /// Schema names given a suffix because another schema, a type typify makes up for an
    /// inline property, or std has the same name.
    HashSuffixAdded,
    /// Component schemas not reached by the kept operations, dropped.
    UnreachableDropped(String),
    /// An operationId that clashes with a name of the generated module (`error`, `client`)
    /// given its method in front (`get-error`).
    OperationIdRenamed {
        /// As published.
        from: String,
        /// As written.
        to: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Version(from) => write!(f, "openapi version {from} written as 3.0.3"),
            Change::WebhookMediaDropped(media) => {
                write!(f, "webhook payload media types dropped ({media})")
            }
            Change::WebhookPayloadNamed => {
                f.write_str("inline webhook payloads named <Name>Payload")
            }
            Change::TopLevelDropped(key) => write!(f, "top-level `{key}` dropped"),
            Change::TagDefinitionsDropped => f.write_str("tag definitions dropped"),
            Change::ExtensionDropped(name) => write!(f, "vendor extensions dropped ({name})"),
            Change::DocsDropped(key) => write!(f, "documentation dropped ({key})"),
            Change::CallbacksDropped => f.write_str("operation callbacks dropped"),
            Change::ResponseHeadersDropped => f.write_str("response headers and links dropped"),
            Change::RequestMediaDropped(media) => {
                write!(f, "request body media types dropped ({media})")
            }
            Change::ResponseMediaDropped(media) => {
                write!(f, "response media types dropped ({media})")
            }
            Change::NotAMediaType(key) => {
                write!(
                    f,
                    "content entries that are not media types dropped ({key})"
                )
            }
            Change::AnyMediaToJson => f.write_str("*/* bodies declared as application/json"),
            Change::AnyMediaToOctetStream => {
                f.write_str("*/* file bodies declared as application/octet-stream")
            }
            Change::BodilessErrorDropped => f.write_str(
                "error responses without a body schema dropped (they arrive as \
                 Error::UnexpectedResponse)",
            ),
            Change::CoveredErrorStatusDropped => {
                f.write_str("error statuses covered by a range (4XX) of the same operation dropped")
            }
            Change::ErrorBodyShared => {
                f.write_str("error responses pointed at the shared ErrorBody")
            }
            Change::MissingSchemaAsAny => {
                f.write_str("JSON bodies without a schema typed as any JSON value")
            }
            Change::TypeArrayToNullable => {
                f.write_str("type [T, \"null\"] written as type T + nullable")
            }
            Change::NullTypeToNullable => f.write_str("type \"null\" written as nullable"),
            Change::ConstToEnum => f.write_str("const written as a one-value enum"),
            Change::ExamplesToExample => f.write_str("schema examples arrays written as example"),
            Change::ExclusiveBound => f.write_str(
                "numeric exclusiveMinimum/exclusiveMaximum written as minimum/maximum + boolean",
            ),
            Change::FalseFlagDropped(key) => write!(f, "`{key}: false` (the default) dropped"),
            Change::SecretParameterMarked => {
                f.write_str("parameters named like a secret marked format: password")
            }
            Change::ZeroMinimumDropped(key) => write!(f, "`{key}: 0` (no bound) dropped"),
            Change::SingleAllOfUnwrapped => {
                f.write_str("allOf of a single $ref written as the $ref")
            }
            Change::RefSiblingDocsDropped => f.write_str("documentation beside $ref dropped"),
            Change::RefSiblingsWrapped => f.write_str("$ref with sibling keys wrapped in allOf"),
            Change::AnnotationDropped(key) => write!(f, "JSON Schema annotations dropped ({key})"),
            Change::XmlHintsDropped => f.write_str("xml hints dropped"),
            Change::EnumDuplicatesRemoved => f.write_str("duplicate enum values removed"),
            Change::ClashingEnumToString => f.write_str(
                "enums whose values typify would give the same Rust variant name written as \
                 plain strings (every value stays accepted)",
            ),
            Change::MisplacedEnumDropped => {
                f.write_str("enums whose values do not have the schema's type dropped")
            }
            Change::PatternDropped => {
                f.write_str("patterns that are not ECMAScript regular expressions dropped")
            }
            Change::DefaultDropped => {
                f.write_str("defaults that do not match their schema dropped")
            }
            Change::PaddedEnumValuesKept => f.write_str(
                "enums with space-padded values kept as sent (Rust variant names are trimmed)",
            ),
            Change::DiscriminatorToOneOf => {
                f.write_str("discriminated unions written as oneOf of the mapped schemas")
            }
            Change::DiscriminatorBaseSplit => {
                f.write_str("union bases split into <Name>Base (breaks an allOf cycle)")
            }
            Change::DiscriminatorPinned => {
                f.write_str("union variants with the discriminator pinned to their value")
            }
            Change::DiscriminatorVariantUnpinned => {
                f.write_str("union variants left unpinned (reading may pick the wrong variant)")
            }
            Change::AllOfFlattened => {
                f.write_str("allOf with redefined properties flattened (later definition wins)")
            }
            Change::IdenticalSchemasMerged => {
                f.write_str("identical schemas with the same name merged")
            }
            Change::NarrowerCopiesMerged => {
                f.write_str("copies merged into a same-name copy that accepts all they do")
            }
            Change::HashPrefixRemoved => f.write_str("content-hash prefixes removed from names"),
            Change::HashSuffixAdded => {
                f.write_str("names given a suffix (another schema, an inline type or std has it)")
            }
            Change::UnreachableDropped(kind) => {
                write!(f, "{kind} not used by the kept operations dropped")
            }
            Change::OperationIdRenamed { from, to } => write!(
                f,
                "operationId `{from}` written as `{to}` (it clashes with a name the generated \
                 module uses)"
            ),
        }
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.kept.len() + self.skipped.len();
        writeln!(
            f,
            "{} (published version {}): {} of {total} operations kept, {} schemas, {} types",
            self.product,
            self.source_version,
            self.kept.len(),
            self.schemas,
            self.types
        )?;
        writeln!(f, "kept:")?;
        for op in &self.kept {
            writeln!(f, "  {op}")?;
        }
        let not_selected = self
            .skipped
            .iter()
            .filter(|s| s.reason == SkipReason::NotSelected)
            .count();
        if self.skipped.len() > not_selected {
            writeln!(f, "skipped:")?;
            for skipped in self
                .skipped
                .iter()
                .filter(|s| s.reason != SkipReason::NotSelected)
            {
                writeln!(f, "  {}: {}", skipped.operation, skipped.reason)?;
            }
        }
        if not_selected > 0 {
            writeln!(f, "not named in --operations: {not_selected} operations")?;
        }
        if !self.webhooks.is_empty() {
            writeln!(f, "webhooks kept: {}", self.webhooks.join(", "))?;
        }
        for skipped in &self.skipped_webhooks {
            writeln!(f, "webhook skipped: {}: {}", skipped.name, skipped.reason)?;
        }
        if !self.suffixed.is_empty() {
            writeln!(f, "renamed to resolve a name collision:")?;
            for s in &self.suffixed {
                writeln!(f, "  {} -> {}", s.original, s.name)?;
            }
        }
        writeln!(f, "changes:")?;
        for (change, count) in &self.changes {
            writeln!(f, "  {change}: {count}")?;
        }
        Ok(())
    }
}
