//! The `mockingbird` binary itself, as a newcomer runs it: its start banner, its log, and the
//! shipped config.yaml.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

use mockingbird::proto;

use crate::support::*;

/// The repository's own config.yaml, as shipped.
pub const SHIPPED_CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config.yaml");

/// The binary, run in `dir` with no config from the environment.
pub fn mockingbird(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mockingbird"));
    command
        .current_dir(dir)
        .env_remove("MOCKINGBIRD_CONFIG")
        .env_remove("MOCKINGBIRD_GRPC")
        .env_remove("MOCKINGBIRD_READY_FILE")
        .env_remove("RUST_LOG")
        .kill_on_drop(true);
    command
}

/// `mockingbird serve` on port 0, once its banner is printed.
pub struct Serving {
    _child: Child,
    lines: Lines<BufReader<ChildStdout>>,
    /// Every line printed so far.
    pub printed: Vec<String>,
    /// `http://127.0.0.1:PORT`, from the banner.
    pub http: String,
    pub grpc: String,
}

impl Serving {
    /// Start `serve` in `dir` with `args` (after `--port 0 --grpc-port 0`).
    pub async fn start(dir: &Path, args: &[&str]) -> Serving {
        let mut child = mockingbird(dir)
            .args(["serve", "--port", "0", "--grpc-port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start mockingbird serve");
        let stdout = child.stdout.take().expect("serve's output");
        let mut serving = Serving {
            _child: child,
            lines: BufReader::new(stdout).lines(),
            printed: Vec::new(),
            http: String::new(),
            grpc: String::new(),
        };
        serving
            .line(|line| line.trim_start().starts_with("next"))
            .await;
        let url_of = |label: &str, printed: &[String]| {
            printed
                .iter()
                .find_map(|line| line.trim_start().strip_prefix(label))
                .and_then(|rest| rest.split_whitespace().next())
                .map(str::to_owned)
                .unwrap_or_else(|| panic!("a {label} line in {printed:#?}"))
        };
        serving.http = url_of("Twilio", &serving.printed);
        serving.grpc = url_of("gRPC", &serving.printed);
        serving
    }

    /// `serve` in `dir` with the shipped config.yaml, a database in memory and a ready file in
    /// `dir`, whose path comes back with it.
    pub async fn shipped(dir: &Path) -> (Serving, std::path::PathBuf) {
        let ready = dir.join("ready.json");
        let args = [
            "--config",
            SHIPPED_CONFIG,
            "--database",
            ":memory:",
            "--ready-file",
        ];
        let ready_arg = ready.to_str().expect("a UTF-8 path");
        let serving = Serving::start(dir, &[&args[..], &[ready_arg]].concat()).await;
        (serving, ready)
    }

    /// The first line from now on that `wanted` accepts (failing after [`WAIT`]).
    pub async fn line(&mut self, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let next = tokio::time::timeout_at(deadline, self.lines.next_line())
                .await
                .unwrap_or_else(|_| panic!("no such line in time; printed {:#?}", self.printed))
                .expect("serve's output is readable")
                .unwrap_or_else(|| panic!("serve stopped; printed {:#?}", self.printed));
            self.printed.push(next.clone());
            if wanted(&next) {
                return next;
            }
        }
    }

    /// The banner and everything printed before it.
    pub fn output(&self) -> String {
        self.printed.join("\n")
    }
}

#[tokio::test]
async fn the_banner_says_what_was_read_and_where_everything_is_without_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (serving, _) = Serving::shipped(dir.path()).await;
    let banner = serving.output();
    assert!(
        !banner.contains('\x1b'),
        "no ANSI codes in a pipe: {banner:?}"
    );
    for expected in [
        format!("config     {SHIPPED_CONFIG}"),
        "database   :memory:".to_owned(),
        "account ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX  auth token your_auth_token_here".to_owned(),
        format!(
            "WhatsApp   {}/v23.0/123456789/messages  bearer token mockingbird",
            serving.http
        ),
        format!("gRPC       {}", serving.grpc),
        format!("dashboard  {}/", serving.http),
        "next       curl -u 'ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:your_auth_token_here'".to_owned(),
    ] {
        assert!(banner.contains(&expected), "{expected:?} in\n{banner}");
    }
    assert!(serving.http.starts_with("http://127.0.0.1:"), "{banner}");
    let (status, _) = read(
        reqwest::get(format!("{}/health", serving.http))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn without_a_config_file_the_banner_says_built_in_defaults_are_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("mb.db");
    let serving = Serving::start(dir.path(), &["--database", database.to_str().unwrap()]).await;
    let banner = serving.output();
    assert!(
        banner.contains("config     none: built-in defaults"),
        "{banner}"
    );
    assert!(
        banner.contains(&format!("database   {}", database.display())),
        "{banner}"
    );
    assert!(
        banner.contains("account AC00000000000000000000000000000000  auth token mockingbird"),
        "{banner}"
    );
}

#[tokio::test]
async fn a_failed_callback_attempt_is_logged_at_warn() {
    let dir = tempfile::tempdir().unwrap();
    let mut serving = Serving::start(
        dir.path(),
        &[
            "--config",
            SHIPPED_CONFIG,
            "--database",
            ":memory:",
            "--set",
            "twilio.callbacks.delay_seconds=0",
            "--set",
            "twilio.callbacks.retry_attempts=2",
            "--set",
            "twilio.callbacks.retry_delay_seconds=0",
        ],
    )
    .await;
    let account = "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX";
    let callback = format!("{}/status", closed_url());
    let sent = reqwest::Client::new()
        .post(format!(
            "{}/2010-04-01/Accounts/{account}/Messages.json",
            serving.http
        ))
        .basic_auth(account, Some("your_auth_token_here"))
        .form(&[
            ("To", "+15551234567"),
            ("From", "+15550000001"),
            ("Body", "hi"),
            ("StatusCallback", &callback),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 201);
    for n in [1, 2] {
        let line = serving
            .line(|line| line.contains(&format!("attempt {n} of 2")))
            .await;
        assert!(line.contains("WARN"), "{line}");
        assert!(line.contains(&format!("tenant={account}")), "{line}");
        assert!(line.contains(&format!("url={callback}")), "{line}");
        assert!(line.contains("outcome="), "{line}");
        assert!(!line.contains('\x1b'), "{line:?}");
    }
}

#[tokio::test]
async fn a_control_plane_call_is_logged_with_its_method_tenant_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let mut serving = Serving::start(dir.path(), &["--database", ":memory:"]).await;
    let channel = tonic::transport::Channel::from_shared(serving.grpc.clone())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut tenants = proto::tenants_client::TenantsClient::new(channel.clone());
    let created = tenants
        .create_tenant(proto::CreateTenantRequest {
            label: "logged".into(),
        })
        .await
        .unwrap()
        .into_inner();
    let line = serving.line(|line| line.contains("CreateTenant")).await;
    assert!(
        line.contains(&format!("account=\"{}\"", created.account_sid)),
        "{line}"
    );
    assert!(line.contains("grpc_status=0"), "{line}");

    let unknown = "AC".to_owned() + &"f".repeat(32);
    let refused = tenants
        .get_tenant(proto::GetTenantRequest {
            account_sid: unknown.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::NotFound);
    let line = serving.line(|line| line.contains("GetTenant")).await;
    assert!(line.contains(&format!("account=\"{unknown}\"")), "{line}");
    assert!(line.contains("grpc_status=5"), "{line}");
}

/// The README's fenced blocks of `language`, in order.
fn readme_blocks(language: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let fence = format!("```{language}\n");
    readme
        .split(&fence)
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block.to_owned()))
        .collect()
}

/// Every `mockingbird …` command of the README's shell blocks works as written against a server
/// started with the shipped config.yaml (found through its ready file, as the README says).
/// Commands with placeholders (`[--tenant AC…]`) and the endless `events tail` are left out.
#[tokio::test]
async fn the_readmes_commands_work_against_the_shipped_config() {
    let dir = tempfile::tempdir().unwrap();
    let (_serving, ready) = Serving::shipped(dir.path()).await;
    let commands: Vec<String> = readme_blocks("bash")
        .iter()
        .flat_map(|block| block.lines().map(str::to_owned).collect::<Vec<_>>())
        .filter(|line| line.starts_with("mockingbird ") && !line.contains('['))
        .filter(|line| !line.starts_with("mockingbird events tail"))
        .collect();
    assert!(
        commands.iter().any(|c| c.contains("sms send-inbound"))
            && commands.iter().any(|c| c.contains("whatsapp send")),
        "{commands:#?}"
    );
    let binaries = Path::new(env!("CARGO_BIN_EXE_mockingbird"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}",
        binaries.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for command in commands {
        let output = Command::new("sh")
            .args(["-c", &command])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("PATH", &path)
            .env("MOCKINGBIRD_READY_FILE", &ready)
            .env_remove("MOCKINGBIRD_CONFIG")
            .env_remove("MOCKINGBIRD_GRPC")
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(WAIT, output).await.unwrap().unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // `whatsapp send --target local` reaches the config's target; with no bot listening
        // there, it reports it as the README shows.
        let no_bot = command.contains("whatsapp send")
            && printed
                .contains("502 Bad Gateway: http://localhost:8000/bot/webhook is unreachable");
        assert!(
            output.status.success() || no_bot,
            "`{command}` failed:\n{printed}"
        );
    }
}

/// The README's `whatsapp:` block is a valid config.
#[test]
fn the_readmes_whatsapp_block_is_a_valid_config() {
    let block = readme_blocks("yaml")
        .into_iter()
        .find(|block| block.starts_with("whatsapp:"))
        .expect("a whatsapp: block");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, block).unwrap();
    let config = mockingbird::config::Config::load(Some(&file), &[]).expect("it loads");
    assert_eq!(config.whatsapp.phone_number_id, "123456789");
    assert!(config.whatsapp.targets.contains_key("local"));
}

/// Nothing shipped promises as coming what is already served.
#[tokio::test]
async fn no_stale_promises_in_the_help_the_dockerfile_or_compose() {
    let dir = tempfile::tempdir().unwrap();
    let help = mockingbird(dir.path()).arg("--help").output();
    let help = tokio::time::timeout(WAIT, help).await.unwrap().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("WhatsApp Cloud API") && !help.contains("soon"),
        "{help}"
    );
    for file in ["Dockerfile", "docker-compose.yml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            !text.contains("reserved"),
            "{file} still reserves a port for later"
        );
    }
}
