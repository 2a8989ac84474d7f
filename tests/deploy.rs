//! deploy/: the Dockerfile and Kubernetes manifests agree with `kresym
//! serve --help` (every flag they pass exists) and with each other (ports,
//! probe paths, the index volume, names).

mod common;

use std::path::PathBuf;

use serde_yaml::Value;

fn deploy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn manifest(name: &str) -> Value {
    let path = deploy().join("kubernetes").join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn serve_help() -> String {
    let output = common::kresym().args(["serve", "--help"]).output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout).unwrap()
}

/// The `--flag`s of `args` (a `kresym serve` command line), each checked
/// against `--help`, with their values.
fn flags(args: &[String], help: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut args = args.iter().skip_while(|a| !a.starts_with("--"));
    while let Some(flag) = args.next() {
        assert!(flag.starts_with("--"), "{flag} is not a flag");
        assert!(
            help.contains(&format!("{flag} <")) || help.contains(&format!("{flag}\n")),
            "{flag} is not a flag of kresym serve:\n{help}"
        );
        pairs.push((flag.clone(), args.next().cloned().unwrap_or_default()));
    }
    pairs
}

fn value<'a>(pairs: &'a [(String, String)], flag: &str) -> &'a str {
    &pairs.iter().find(|(f, _)| f == flag).unwrap().1
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn manifests_agree_with_the_binary_and_each_other() {
    let help = serve_help();
    let deployment = manifest("deployment.yaml");
    assert_eq!(deployment["kind"], "Deployment");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(strings(&container["command"]), ["kresym", "serve"]);
    let args = flags(&strings(&container["args"]), &help);

    // The port listened on is the container's port, which the probes and
    // the Service use by name.
    let listen = value(&args, "--listen");
    let port: u64 = listen.rsplit(':').next().unwrap().parse().unwrap();
    assert!(
        listen.starts_with("0.0.0.0:"),
        "{listen}: unreachable from outside the pod"
    );
    let ports = &container["ports"][0];
    assert_eq!(ports["containerPort"].as_u64(), Some(port));
    let port_name = ports["name"].as_str().unwrap();
    for (probe, path) in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")] {
        assert_eq!(container[probe]["httpGet"]["path"], path);
        assert_eq!(container[probe]["httpGet"]["port"], port_name);
    }
    let service = manifest("service.yaml");
    assert_eq!(service["spec"]["ports"][0]["targetPort"], port_name);
    assert_eq!(
        service["spec"]["selector"],
        deployment["spec"]["template"]["metadata"]["labels"]
    );

    // --index-dir is the shared volume; --debug-dir comes from the ConfigMap
    // and is mounted.
    let mounts = container["volumeMounts"].as_sequence().unwrap();
    let mounted = |path: &str| {
        mounts
            .iter()
            .find(|m| m["mountPath"] == path)
            .unwrap_or_else(|| panic!("{path} is not mounted"))["name"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let index_volume = mounted(value(&args, "--index-dir"));
    let pvc = manifest("pvc.yaml");
    let volume = pod["volumes"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|v| v["name"] == index_volume.as_str())
        .unwrap();
    assert_eq!(
        volume["persistentVolumeClaim"]["claimName"],
        pvc["metadata"]["name"]
    );
    assert_eq!(pvc["spec"]["accessModes"][0], "ReadWriteMany");

    let configmap = manifest("configmap.yaml");
    assert_eq!(
        container["envFrom"][0]["configMapRef"]["name"],
        configmap["metadata"]["name"]
    );
    let debug_dir = value(&args, "--debug-dir");
    let variable = debug_dir
        .strip_prefix("$(")
        .and_then(|v| v.strip_suffix(')'))
        .expect("--debug-dir comes from the ConfigMap");
    let root = configmap["data"][variable].as_str().unwrap();
    mounted(root);
    assert!(configmap["data"]["DEBUGINFOD_URLS"].is_string());

    let hpa = manifest("hpa.yaml");
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
    assert_eq!(
        hpa["spec"]["scaleTargetRef"]["name"],
        deployment["metadata"]["name"]
    );
    assert_eq!(hpa["spec"]["metrics"][0]["resource"]["name"], "cpu");
    // The grace period covers kresym's own (--grace, default 30 s).
    assert!(pod["terminationGracePeriodSeconds"].as_u64().unwrap() > 30);
    assert!(help.contains("--grace <SECS>") && help.contains("[default: 30]"));
}

#[test]
fn the_dockerfile_runs_kresym_serve_with_its_flags() {
    let help = serve_help();
    let text = std::fs::read_to_string(deploy().join("Dockerfile")).unwrap();
    let instruction = |name: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name}"));
        serde_json::from_str(&line[name.len() + 1..]).unwrap()
    };
    assert_eq!(instruction("ENTRYPOINT"), ["kresym", "serve"]);
    let args = flags(&instruction("CMD"), &help);
    let port = value(&args, "--listen")
        .rsplit(':')
        .next()
        .unwrap()
        .to_owned();
    assert!(
        text.contains(&format!("\nEXPOSE {port}\n")),
        "EXPOSE {port}"
    );
    for directory in [value(&args, "--debug-dir"), value(&args, "--index-dir")] {
        assert!(
            text.contains(directory),
            "{directory} is not created in the image"
        );
    }
    assert_eq!(
        text.matches("\nFROM ").count() + usize::from(text.starts_with("FROM ")),
        2,
        "multi-stage"
    );
    // The deployment and the image agree on where the index lives.
    let deployment = manifest("deployment.yaml");
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let k8s = flags(&strings(&container["args"]), &help);
    assert_eq!(value(&k8s, "--index-dir"), value(&args, "--index-dir"));
    assert_eq!(value(&k8s, "--listen"), value(&args, "--listen"));
}
