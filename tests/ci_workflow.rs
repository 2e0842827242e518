//! The shipped GitHub Actions workflow (examples/ci/bqflat.yml), run step by step as Actions
//! would: its `run:` scripts in bash, in a git repository with a base branch and a pull request,
//! with the built bqflat on PATH and a fake `gh` that records the comment it is asked to post.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

const SPEC: &str = "event: purchase\nmode: incremental\nparams:\n  - {key: value, type: float64}\n";
/// GitHub's limit on a comment's body.
const COMMENT_LIMIT: usize = 65_536;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=ci", "-c", "user.email=ci@example.com"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository whose `main` holds the project `my-events` and its build, checked out on a pull
/// request branch (`origin/main` is the base the workflow plans against).
fn repository() -> TempProject {
    let p = TempProject::new()
        .file("my-events/bqflat.yaml", BASIC_PROJECT)
        .file("my-events/events/purchase.yaml", SPEC);
    git(p.path(), &["init", "-q", "-b", "main"]);
    assert_eq!(bqflat(&p.path().join("my-events"), &["build"]).code, 0);
    git(p.path(), &["add", "-A"]);
    git(p.path(), &["commit", "-q", "-m", "base"]);
    git(
        p.path(),
        &["update-ref", "refs/remotes/origin/main", "HEAD"],
    );
    git(p.path(), &["checkout", "-q", "-b", "pr"]);
    p
}

struct Step {
    name: String,
    code: i32,
    output: String,
}

/// Runs the workflow's `run:` steps (not the `uses:` ones: the repository is already checked
/// out, and bqflat is the binary under test, so its install step is skipped) until one fails.
fn run_workflow(repo: &Path) -> (Vec<Step>, String) {
    let workflow: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(root().join("examples/ci/bqflat.yml")).unwrap(),
    )
    .unwrap();
    let bin = tempfile::tempdir().unwrap();
    let recorded = bin.path().join("gh-calls");
    let gh = bin.path().join("gh");
    std::fs::write(
        &gh,
        format!(
            "#!/usr/bin/env bash\n# fake gh: records its arguments and the body it would post\nprintf '%s\\n' \"$*\" >> '{0}'\nwhile [ $# -gt 0 ]; do [ \"$1\" = --body-file ] && cat \"$2\" > '{0}.body'; shift; done\n",
            recorded.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_bqflat"), bin.path().join("bqflat")).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let output_file = bin.path().join("github-output");
    let mut outputs: Vec<(String, String)> = Vec::new();
    let mut steps = Vec::new();
    for step in workflow["jobs"]["plan"]["steps"].as_sequence().unwrap() {
        let (Some(script), Some(name)) = (step["run"].as_str(), step["name"].as_str()) else {
            continue;
        };
        if name.starts_with("Install") {
            continue;
        }
        if let Some(condition) = step["if"].as_str() {
            let (key, want) = condition.split_once(" == ").unwrap();
            let key = key.trim().trim_start_matches("steps.plan.outputs.");
            let got = outputs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str());
            if got != Some(want.trim().trim_matches('\'')) {
                continue;
            }
        }
        let script = script
            .replace("${{ github.base_ref }}", "main")
            .replace("${{ github.event.pull_request.number }}", "7")
            .replace("${{ github.token }}", "token");
        assert!(
            !script.contains("${{"),
            "an expression the test does not know: {script}"
        );
        let out = Command::new("bash")
            .args(["-e", "-o", "pipefail", "-c", &script])
            .current_dir(repo)
            .env("PATH", &path)
            .env("GITHUB_OUTPUT", &output_file)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        for line in std::fs::read_to_string(&output_file)
            .unwrap_or_default()
            .lines()
        {
            if let Some((k, v)) = line.split_once('=') {
                outputs.push((k.to_string(), v.to_string()));
            }
        }
        let code = out.status.code().unwrap_or(-1);
        steps.push(Step {
            name: name.to_string(),
            code,
            output: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
        if code != 0 {
            break;
        }
    }
    let calls = std::fs::read_to_string(&recorded).unwrap_or_default();
    let body = std::fs::read_to_string(format!("{}.body", recorded.display())).unwrap_or_default();
    (steps, format!("{calls}\n{body}"))
}

#[test]
fn a_breaking_change_gets_its_plan_comment_and_the_gate_fails_at_its_line() {
    let p = repository();
    let p = p.file(
        "my-events/events/purchase.yaml",
        &SPEC.replace("float64", "string"),
    );
    git(p.path(), &["commit", "-q", "-am", "retype value"]);
    let (steps, gh) = run_workflow(p.path());
    let names: Vec<(&str, i32)> = steps.iter().map(|s| (s.name.as_str(), s.code)).collect();
    assert_eq!(
        names,
        [
            ("Plan against the base branch", 0),
            ("Comment the plan", 0),
            ("Check that the committed output is current", 1)
        ],
        "{}",
        steps
            .iter()
            .map(|s| format!("{}:\n{}", s.name, s.output))
            .collect::<String>()
    );
    assert!(gh.starts_with("pr comment 7 --body-file plan.md\n"), "{gh}");
    assert!(gh.contains("1 breaking change"), "{gh}");
    assert!(gh.len() <= COMMENT_LIMIT, "{} characters", gh.len());
    let check = &steps[2].output;
    assert!(check.contains("::error file=my-events/events/purchase.yaml,line=1,col=1,title=bqflat::event `purchase`: breaking change"), "{check}");
}

#[test]
fn a_pull_request_without_changes_posts_nothing_and_passes() {
    let p = repository();
    let (steps, gh) = run_workflow(p.path());
    let names: Vec<(&str, i32)> = steps.iter().map(|s| (s.name.as_str(), s.code)).collect();
    assert_eq!(
        names,
        [
            ("Plan against the base branch", 0),
            ("Check that the committed output is current", 0)
        ]
    );
    assert_eq!(gh.trim(), "", "no comment without changes");
}
