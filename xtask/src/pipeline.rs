//! The pipeline: load spec → normalize → generate → format → write/compare.
//!
//! [`render`] runs the first four steps for one provider, in memory (slicing the
//! spec first when the provider selects `operations`). `generate`
//! and `check` differ only in what they do with the result. Both also print the
//! change report against the spec of each crate's last release
//! ([`changes::baseline`], [`changes::since`]):
//! `generate` bumps the crate version it calls for, `check` fails while the
//! version is behind it.

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::Value;

use crate::changes::{self, SinceHead};
use crate::dedupe;
use crate::format::{self, Origin};
use crate::output::{self, Rendered, Status};
use crate::providers::{self, Provider};
use crate::version;
use crate::{
    customize, facade, features, generate, growable, lean, load, lower, manifest, mock, no_panic,
    normalize, numbers, paths, readme, salvage, scaffold, slice, statuses, styles, thin,
    type_names, verbs,
};

/// What rendering one provider produced.
pub struct Output {
    /// The files, in a fixed order.
    pub files: Vec<Rendered>,
    /// Operations in the spec.
    pub operations: usize,
    /// What the pipeline lowered or repaired to generate the document.
    pub notes: Vec<Note>,
    /// The crate's README for a given crate version (`major.minor`): the only
    /// file that quotes the version, so a bumped or new manifest needs this
    /// one file again, not a second run of the whole pipeline.
    readme: Box<dyn Fn(&str) -> String + Send + Sync>,
}

/// One lowering or repair the pipeline made, announced to the user.
#[derive(Debug, Clone)]
pub struct Note {
    /// A short, stable name for what was done (`request-media-types`,
    /// `schema:patternProperties`, ...), for counting notes by kind.
    pub kind: String,
    /// The note as printed: file and line, JSON pointer, what was done.
    pub text: String,
}

/// Runs load → normalize → generate → format for one provider, writing nothing.
pub fn render(root: &Path, provider: &Provider) -> Result<Output> {
    let shown = provider.spec_display();
    let loaded = timed("load", || {
        load::load_within(&provider.spec_path(root), &shown, provider.load_limit())
    })?;
    render_loaded(root, provider, loaded, shown)
}

/// The same for a version of the provider's spec held in memory (the one of
/// its last release, for the change report); `shown` names it in messages.
pub fn render_bytes(
    root: &Path,
    provider: &Provider,
    bytes: Vec<u8>,
    shown: &str,
) -> Result<Output> {
    let document = load::parse(&bytes, shown)?;
    render_loaded(
        root,
        provider,
        load::Loaded { document, bytes },
        shown.to_string(),
    )
}

fn render_loaded(
    root: &Path,
    provider: &Provider,
    loaded: load::Loaded,
    shown: String,
) -> Result<Output> {
    let text = String::from_utf8_lossy(&loaded.bytes);
    let lines = load::Lines::new(&text);
    let at_line = |pointer: &str| {
        lines
            .of_pointer(pointer)
            .map(|line| format!("{shown}:{line}"))
            .unwrap_or_else(|| shown.clone())
    };
    // Slicing only follows `$ref`s, so it runs on the document as published
    // (3.0 or 3.1), and later errors keep pointing at lines of the full spec.
    let document = match &provider.operations {
        Some(ids) => slice::slice(&loaded.document, ids).map_err(|e| match e.pointer() {
            Some(pointer) => anyhow::anyhow!("{}: {e}", at_line(pointer)),
            None => anyhow::anyhow!(
                "{shown}: {e} (`operations` of [providers.{}] in {})",
                provider.name,
                providers::REGISTRY
            ),
        })?,
        None => loaded.document,
    };
    let normalized = timed("normalize", || normalize::normalize(document)).map_err(|e| {
        anyhow::anyhow!(
            "{}: at {}: {}",
            at_line(&e.pointer),
            display_pointer(&e.pointer),
            e.message
        )
    })?;
    // Every note names its place the same way: file, line, JSON pointer.
    let note = |kind: String, pointer: &str, message: &str| Note {
        kind,
        text: format!(
            "{}: at {}: {message}",
            at_line(pointer),
            display_pointer(pointer)
        ),
    };
    let mut notes: Vec<Note> = normalized
        .notes
        .iter()
        .map(|n| {
            // The normalizer's pointers end at the keyword it rewrote.
            let keyword = n.pointer.rsplit('/').next().unwrap_or_default();
            note(format!("schema:{keyword}"), &n.pointer, &n.message)
        })
        .collect();
    // Errors that name a place in the spec get the file and line prepended.
    let locate = |e: anyhow::Error| match e.downcast_ref::<generate::SpecError>() {
        Some(se) => anyhow::anyhow!("{}: {se}", at_line(&se.pointer)),
        None => e,
    };
    let mut doc = normalized.document;
    let entry = format!("[providers.{}]", provider.name);
    for note in customize::apply(&mut doc, &provider.rename, &entry)? {
        notes.push(Note {
            kind: "operation-id-derived".into(),
            text: format!("{shown}: {note}"),
        });
    }
    let lowered =
        timed("lower", || lower::lower(&mut doc)).map_err(|e| locate(anyhow::Error::from(e)))?;
    notes.extend(
        lowered
            .notes
            .iter()
            .map(|n| note(n.kind.to_string(), &n.pointer, &n.message)),
    );
    let refused = generate::leave_out_refused(&mut doc).map_err(locate)?;
    notes.extend(refused.iter().map(|r| {
        note(
            "operation-left-out".into(),
            &r.error.pointer,
            &r.error.message,
        )
    }));
    generate::preflight(&doc).map_err(locate)?;
    let operations = generate::operations(&doc).len();
    let (base_url, no_server) = default_base_url(&doc);
    if let Some(message) = no_server {
        notes.push(note("base-url-missing".into(), "/servers", &message));
    }
    for (pointer, message) in generate::route_errors_to_runtime(&mut doc) {
        notes.push(note("responses-lowered".into(), &pointer, &message));
    }
    type_names::distinct(&mut doc);
    generate::without_dropshot_streams(&mut doc);

    let info = |field: &str| {
        doc.pointer(&format!("/info/{field}"))
            .and_then(Value::as_str)
            .unwrap_or("(not given)")
            .to_string()
    };
    let (spec_title, spec_version) = (info("title"), info("version"));
    let from_spec = Origin {
        source: &shown,
        bytes: &loaded.bytes,
        provider: &provider.name,
    };

    if provider.strict && !notes.is_empty() {
        bail!(strict_refusal(provider, &notes));
    }
    let (mut client, mut mock) =
        render_both(&doc, &shown, provider, &base_url, &lowered, &from_spec);
    let mut left_out: Vec<readme::LeftOut> = refused
        .into_iter()
        .map(|r| readme::LeftOut {
            operation_id: r.operation_id,
            route: r.route,
            reason: r.error.message,
        })
        .collect();
    if (client.is_err() || mock.is_err()) && !provider.strict {
        // Only a failed run pays for the search; what it sets aside is noted.
        // Schemas first, each tried alone; operations only if the document
        // still fails with them set aside.
        let mut aside = salvage::untype(&mut doc);
        if !aside.is_empty() {
            (client, mock) = render_both(&doc, &shown, provider, &base_url, &lowered, &from_spec);
        }
        // A default typify checks through a reference fails every operation,
        // and no schema alone: its own search, before the operations'.
        let refuses_a_default = [client.as_ref().err(), mock.as_ref().err()]
            .into_iter()
            .flatten()
            .any(|e| salvage::refuses_a_default(&format!("{e:#}")));
        if refuses_a_default {
            let dropped = salvage::drop_defaults(&mut doc);
            if !dropped.is_empty() {
                (client, mock) =
                    render_both(&doc, &shown, provider, &base_url, &lowered, &from_spec);
            }
            aside.extend(dropped);
        }
        if client.is_err() || mock.is_err() {
            // progenitor's own refusal saves the search a run over the whole
            // document; a failure of a later step gives the search nothing.
            let failing = [client.as_ref().err(), mock.as_ref().err()]
                .into_iter()
                .flatten()
                .map(|e| format!("{e:#}"))
                .find(|e| e.contains("progenitor could not generate"));
            let skipped = salvage::skip_operations(&mut doc, failing);
            if !skipped.is_empty() {
                (client, mock) =
                    render_both(&doc, &shown, provider, &base_url, &lowered, &from_spec);
            }
            aside.extend(skipped);
        }
        left_out.extend(aside.iter().filter_map(|a| {
            a.operation.as_ref().map(|(id, route)| readme::LeftOut {
                operation_id: id.clone(),
                route: route.clone(),
                reason: a.reason.clone(),
            })
        }));
        notes.extend(
            aside
                .iter()
                .map(|a| note(a.kind.to_string(), &a.pointer, &a.message)),
        );
    }
    // Asking each operation alone costs a run over every schema per
    // operation: only to explain a failure nothing could set aside.
    let client = client
        .map_err(|e| generate::blame(&doc).unwrap_or(e))
        .map_err(locate)?;
    let mock = mock.map_err(locate)?;
    notes.extend(
        client
            .no_panic
            .iter()
            .map(|message| note("no-panic".into(), "", message)),
    );
    let uses = manifest::Uses::of([client.generated.as_str(), mock.as_str()]);

    let readme = {
        let (provider, base_url, shown) = (provider.clone(), base_url.clone(), shown.clone());
        let operations = client.operations.clone();
        let features = client.features.clone();
        let bytes = loaded.bytes.clone();
        move |version: &str| {
            readme::readme(
                &provider,
                &readme::Spec {
                    title: &spec_title,
                    version: &spec_version,
                    bytes: &bytes,
                },
                &base_url,
                &operations,
                &left_out,
                &features,
                version,
                &Origin {
                    source: &shown,
                    bytes: &bytes,
                    provider: &provider.name,
                },
            )
        }
    };
    let src = format!("{}/src", provider.crate_name);
    let mut files = vec![
        Rendered {
            path: format!("{src}/generated.rs"),
            contents: client.generated,
        },
        Rendered {
            path: format!("{src}/api.rs"),
            contents: client.api,
        },
        Rendered {
            path: format!("{src}/mock.rs"),
            contents: mock,
        },
        Rendered {
            path: format!("{src}/client.rs"),
            contents: client.client,
        },
        Rendered {
            path: format!("{}/README.md", provider.crate_name),
            contents: readme(&crate_version(root, provider)),
        },
    ];
    let manifest_path = format!("{}/Cargo.toml", provider.crate_name);
    let current = std::fs::read_to_string(root.join(&manifest_path))
        .unwrap_or_else(|_| scaffold::manifest(provider));
    files.push(Rendered {
        contents: manifest::with_features(
            &manifest::with_dependencies(&current, &uses, &manifest_path)?,
            &client.features,
            &manifest_path,
        )?,
        path: manifest_path,
    });
    let method_names: Vec<String> = client
        .operations
        .iter()
        .map(|(name, _, _)| name.clone())
        .collect();
    files.extend(scaffold::missing(root, provider, &method_names)?);
    Ok(Output {
        files,
        operations,
        notes,
        readme: Box::new(readme),
    })
}

/// The error `--strict` (or `strict = true`) gives for a spec that needs notes.
fn strict_refusal(provider: &Provider, notes: &[Note]) -> String {
    let mut text = format!(
        "{}: strict mode: the spec generates only with {} lowering(s) or repair(s):\n",
        provider.spec_display(),
        notes.len()
    );
    for note in notes {
        text.push_str(&format!("  {}\n", note.text));
    }
    text.push_str(&format!(
        "fix these in the spec, or generate without --strict (and without `strict = true` in [providers.{}])",
        provider.name
    ));
    text
}

/// The client side of generation, formatted.
struct Client {
    /// What the no-panic step rewrote, each naming its method or type.
    no_panic: Vec<String>,
    generated: String,
    client: String,
    api: String,
    /// (method name, HTTP method, path template) of each operation.
    operations: Vec<(String, String, String)>,
    /// The crate's tag features, and what each item needs.
    features: features::Plan,
}

/// The client and the mock module are two independent progenitor runs over
/// the same document, each followed by a parse and a format that cost more
/// than the run itself: on two threads, generation takes as long as the
/// longer of the two. (proc_macro2 values cannot cross threads, so each side
/// hands back text.)
fn render_both(
    doc: &Value,
    shown: &str,
    provider: &Provider,
    base_url: &str,
    lowered: &lower::Lowered,
    origin: &Origin,
) -> (Result<Client>, Result<String>) {
    // The mock module's gates come from the client's plan (its types).
    let (plan_sender, plan) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let mock = std::thread::Builder::new()
            .name("generate-mock".into())
            // The main thread's size: deep schemas recurse deeply in typify.
            .stack_size(8 << 20)
            .spawn_scoped(scope, || render_mock(doc, shown, lowered, origin, plan))
            .map_err(anyhow::Error::from);
        let client = render_client(doc, shown, provider, base_url, lowered, origin, plan_sender);
        let mock = mock.and_then(|handle| {
            handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
        });
        (client, mock)
    })
}

fn render_client(
    doc: &Value,
    shown: &str,
    provider: &Provider,
    base_url: &str,
    lowered: &lower::Lowered,
    origin: &Origin,
    plan_sender: std::sync::mpsc::Sender<features::Plan>,
) -> Result<Client> {
    let wire = &lowered.wire;
    let tokens = timed("client: progenitor", || generate::generate(doc, shown))?;
    let mut generated = timed("client: parse", || format::parse(tokens, "client"))?;
    timed("client: dedupe", || dedupe::dedupe(&mut generated));
    paths::through_runtime(&mut generated);
    verbs::spelled_out(&mut generated);
    statuses::named_before_ranges(&mut generated);
    // Before lean, which rewrites integer path parameters.
    styles::paths_and_cookies(&mut generated, &lowered.styles);
    timed("client: lean", || lean::lean(&mut generated));
    timed("client: growable", || growable::growable(&mut generated));
    let no_panic = no_panic::no_panic(&mut generated);
    timed("client: docs", || format::fill_missing_docs(&mut generated));
    // After every step that reads progenitor's signatures and status matches.
    let thinned = timed("client: thin", || thin::thin(&mut generated));
    let facade = timed("facade", || {
        facade::facade(&generated, provider, base_url, wire, &thinned)
    })?;
    // After the facade, which reads progenitor's query parameters as written.
    numbers::whole_numbers(&mut generated);
    styles::queries(&mut generated, &lowered.styles, wire);
    let glue = format::parse(facade.client, "facade")?;
    let mut api = format::parse(facade.api, "facade")?;
    let plan = features::Plan::new(doc, &generated, &api, provider.default_tags.as_deref())?;
    // A mock thread whose client failed renders nothing anyone reads.
    let _ = plan_sender.send(plan.clone());
    plan.gate_generated(&mut generated);
    plan.gate_api(&mut api);
    Ok(Client {
        features: plan,
        no_panic,
        operations: facade::operations(&generated),
        generated: timed("client: render", || format::render(&generated, origin)),
        client: format::render(&glue, origin),
        api: format::render(&api, origin),
    })
}

/// The `mock` module, formatted.
fn render_mock(
    doc: &Value,
    shown: &str,
    lowered: &lower::Lowered,
    origin: &Origin,
    plan: std::sync::mpsc::Receiver<features::Plan>,
) -> Result<String> {
    let tokens = timed("mock: progenitor", || generate::generate_mock(doc, shown))?;
    let styles = styles::mock_structs(doc, &lowered.styles);
    let mut mock = timed("mock: parse and complete", || mock::mock(tokens, &styles))?;
    format::fill_missing_docs(&mut mock);
    // No plan: the client failed, and this module is thrown away with it.
    if let Ok(plan) = plan.recv() {
        plan.gate_mock(&mut mock);
    }
    Ok(timed("mock: render", || format::render(&mock, origin)))
}

/// Runs `f`; with `XTASK_TIMINGS` set, prints how long it took, for finding
/// where generation of a large document spends its time: the wall time, and
/// the CPU time of this thread, which two cores shared with other builds do
/// not inflate (the client and the mock module are made on two threads).
fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    if std::env::var_os("XTASK_TIMINGS").is_none() {
        return f();
    }
    let (start, cpu) = (std::time::Instant::now(), thread_cpu_seconds());
    let out = f();
    let cpu = match (cpu, thread_cpu_seconds()) {
        (Some(before), Some(after)) => format!(", {:.2} s CPU", after - before),
        _ => String::new(),
    };
    eprintln!(
        "timing: {label}: {:.2} s{cpu}",
        start.elapsed().as_secs_f64()
    );
    out
}

/// This thread's user + system time (Linux; `None` elsewhere), in clock ticks
/// of 10 ms: fine for phases of a large document, which is what it is for.
fn thread_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    // The command name, in parentheses, may hold spaces; fields count after it.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The crate's version for the README's `[dependencies]` line: `major.minor`
/// of its manifest, or `*` when there is none yet.
fn crate_version(root: &Path, provider: &Provider) -> String {
    std::fs::read_to_string(provider.crate_dir(root).join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|manifest| {
            let version = manifest
                .get("package")?
                .get("version")?
                .as_str()?
                .to_string();
            Some(version.splitn(3, '.').take(2).collect::<Vec<_>>().join("."))
        })
        .unwrap_or_else(|| "*".into())
}

fn display_pointer(pointer: &str) -> &str {
    if pointer.is_empty() { "/" } else { pointer }
}

/// The client's default base URL: the first server's, its `{variables}`
/// replaced by their defaults. A document whose first server is relative or
/// absent (valid OpenAPI: relative to wherever the document is served) gives
/// none, with a note: the client then asks its user for one.
fn default_base_url(doc: &Value) -> (String, Option<String>) {
    let mut url = doc
        .pointer("/servers/0/url")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if let Some(variables) = doc
        .pointer("/servers/0/variables")
        .and_then(Value::as_object)
    {
        for (name, variable) in variables {
            if let Some(default) = variable.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), default);
            }
        }
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return (url.trim_end_matches('/').to_string(), None);
    }
    let found = if url.is_empty() {
        "no server".to_string()
    } else {
        format!("the relative URL {url:?}")
    };
    (
        String::new(),
        Some(format!(
            "the first server gives {found}, not an absolute http(s) URL: the client has no default base URL, and building one without a base URL (`ClientBuilder::base_url` or the provider's base URL variable) fails with a message saying so"
        )),
    )
}

/// Renders every selected provider; fails before anything is written if any fails.
pub fn render_all(root: &Path, names: &[String]) -> Result<Vec<(Provider, Output)>> {
    render_all_with(root, names, false)
}

/// [`render_all`], with `strict` forcing every provider's `strict` on.
pub fn render_all_with(
    root: &Path,
    names: &[String],
    strict: bool,
) -> Result<Vec<(Provider, Output)>> {
    let selected = providers::select(providers::load(root)?, names)?;
    selected
        .into_iter()
        .map(|mut p| {
            p.strict |= strict;
            let out = render(root, &p)?;
            Ok((p, out))
        })
        .collect()
}

/// Options of `cargo xtask generate`.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Set each crate's version to what the spec change since its last release requires
    /// (off with `--no-bump`, for people who release by hand).
    pub bump: bool,
    /// Refuse specs that need lowering (`--strict`).
    pub strict: bool,
    /// Compare with this revision instead of each crate's last release
    /// (`--baseline=REV`).
    pub baseline: Option<String>,
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions {
            bump: true,
            strict: false,
            baseline: None,
        }
    }
}

/// `cargo xtask generate` with the default options.
pub fn generate(root: &Path, names: &[String]) -> Result<String> {
    generate_with(root, names, &GenerateOptions::default())
}

/// `cargo xtask generate`: render all, then write what changed, the bumped
/// manifests included, in one atomic batch. Returns the report.
pub fn generate_with(root: &Path, names: &[String], options: &GenerateOptions) -> Result<String> {
    let rendered = render_all_with(root, names, options.strict)?;
    let since: Vec<SinceHead> = rendered
        .iter()
        .map(|(p, o)| {
            let baseline = changes::baseline(root, p, options.baseline.as_deref());
            changes::since(root, p, &baseline, o)
        })
        .collect();
    let mut all: Vec<Rendered> = rendered.iter().flat_map(|(_, o)| o.files.clone()).collect();
    // Each new crate's output joins the workspace; several at once join one manifest.
    let joining: Vec<&str> = rendered
        .iter()
        .filter(|(_, o)| o.files.iter().any(|f| f.path == "Cargo.toml"))
        .map(|(p, _)| p.crate_name.as_str())
        .collect();
    if joining.len() > 1 {
        all.retain(|f| f.path != "Cargo.toml");
        all.push(scaffold::with_members(root, &joining)?);
    }
    if options.bump {
        // The rendered manifest carries the dependencies; the bump goes on top.
        for s in &since {
            let (Some(bumped), Some(required)) = (&s.manifest, &s.required) else {
                continue;
            };
            match all.iter_mut().find(|f| f.path == bumped.path) {
                Some(rendered) => {
                    if let Some(contents) =
                        version::set_manifest_version(&rendered.contents, required)
                    {
                        rendered.contents = contents;
                    }
                }
                None => all.push(bumped.clone()),
            }
        }
    }
    let mut written = output::write_all(root, &all)?;
    // A crate's README quotes its version, so a bumped or newly created manifest
    // changes it: write those READMEs again for the version now on disk.
    let again: Vec<String> = rendered
        .iter()
        .filter(|(p, _)| written.contains(&format!("{}/Cargo.toml", p.crate_name)))
        .map(|(p, _)| p.name.clone())
        .collect();
    if !again.is_empty() {
        let files: Vec<Rendered> = rendered
            .iter()
            .filter(|(p, _)| again.contains(&p.name))
            .map(|(p, o)| Rendered {
                path: format!("{}/README.md", p.crate_name),
                contents: (o.readme)(&crate_version(root, p)),
            })
            .collect();
        for path in output::write_all(root, &files)? {
            if !written.contains(&path) {
                written.push(path);
            }
        }
    }
    let mut report = String::new();
    for ((provider, out), since) in rendered.iter().zip(&since) {
        let mine: Vec<&str> = written
            .iter()
            .filter(|w| w.starts_with(&format!("{}/", provider.crate_name)))
            .map(String::as_str)
            .collect();
        let what = if mine.is_empty() {
            "unchanged".to_string()
        } else {
            format!("updated {}", mine.join(", "))
        };
        report.push_str(&format!(
            "{}: {} operation(s) from {} → {}/ {what}\n",
            provider.name,
            out.operations,
            provider.spec_display(),
            provider.crate_name
        ));
        for note in &out.notes {
            report.push_str(&format!("  note: {}\n", note.text));
        }
        report.push_str(&since.text);
        if let (false, Some(required)) = (options.bump, &since.required) {
            report.push_str(&format!(
                "  version: not bumped (--no-bump); `cargo xtask check` reports drift until {}/Cargo.toml says {required}\n",
                provider.crate_name
            ));
        }
    }
    Ok(report)
}

/// Result of `cargo xtask check`.
pub struct Check {
    /// One line per provider, then the diffs.
    pub report: String,
    /// Whether every file was fresh.
    pub fresh: bool,
}

/// `cargo xtask check`: render all in memory and diff against the workspace.
pub fn check(root: &Path, names: &[String]) -> Result<Check> {
    check_with(root, names, false, None)
}

/// [`check`], refusing specs that need lowering when `strict`.
pub fn check_with(
    root: &Path,
    names: &[String],
    strict: bool,
    baseline: Option<&str>,
) -> Result<Check> {
    let rendered = render_all_with(root, names, strict)?;
    let mut report = String::new();
    let mut diffs = String::new();
    let mut stale_providers = Vec::new();
    for (provider, out) in &rendered {
        let mut stale = Vec::new();
        for file in &out.files {
            match output::compare(root, file)? {
                Status::Fresh => {}
                Status::Stale(diff) => {
                    stale.push(file.path.clone());
                    diffs.push_str(&diff);
                }
                Status::Missing => {
                    stale.push(file.path.clone());
                    diffs.push_str(&format!("{} is missing\n", file.path));
                }
            }
        }
        let base = changes::baseline(root, provider, baseline);
        let since = changes::since(root, provider, &base, out);
        if let (Some(required), Some(manifest)) = (&since.required, &since.manifest) {
            let current = since
                .current
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_else(|| "?".into());
            stale.push(manifest.path.clone());
            diffs.push_str(&format!(
                "{}: version {current} is behind the API change since {}, which needs {required}\n",
                manifest.path, base.label
            ));
        }
        if stale.is_empty() {
            report.push_str(&format!(
                "{}: up to date with {} ({} operation(s))\n",
                provider.name,
                provider.spec_display(),
                out.operations
            ));
        } else {
            report.push_str(&format!(
                "{}: STALE, {} differ from {}\n",
                provider.name,
                stale.join(", "),
                provider.spec_display()
            ));
            stale_providers.push(provider.name.clone());
        }
        report.push_str(&since.text);
    }
    let fresh = stale_providers.is_empty();
    if !fresh {
        report.push('\n');
        report.push_str(&diffs);
        report.push_str(&format!(
            "\nThe committed code does not match the specs. Regenerate and commit:\n    cargo xtask generate {}\n",
            stale_providers.join(" ")
        ));
    }
    Ok(Check { report, fresh })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_base_url_is_the_first_servers_with_its_variables_filled_in() {
        let doc = json!({"servers": [{"url": "{scheme}://api.example.com/{version}/",
            "variables": {"scheme": {"default": "https"}, "version": {"default": "v2"}}}]});
        assert_eq!(
            default_base_url(&doc),
            ("https://api.example.com/v2".to_string(), None)
        );
    }

    #[test]
    fn a_relative_or_missing_server_gives_no_default_and_a_note() {
        for doc in [
            json!({}),
            json!({"servers": [{"url": "/v1"}]}),
            json!({"servers": [{"url": ""}]}),
        ] {
            let (url, note) = default_base_url(&doc);
            assert_eq!(url, "");
            assert!(
                note.is_some_and(|n| n.contains("no default base URL")),
                "{doc}"
            );
        }
    }
}
