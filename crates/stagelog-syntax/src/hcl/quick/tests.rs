//! The quick reader against hcl-edit: fixed cases, the project's files, generated and damaged
//! text.

use super::corpus::{damaged, files_agree, project_files, read_of_500};
use super::*;
use proptest::prelude::*;

/// The property: whatever the quick reader reads, hcl-edit reads the same; what hcl-edit
/// rejects, the quick reader declines (panics where they differ). Whether it read `src`.
fn agrees(src: &str) -> bool {
    agrees_with_hcl_edit(src).unwrap_or_else(|difference| panic!("{difference}"))
}

const TAKEN: &[&str] = &[
    "",
    "a = 1",
    "a = 1\n",
    "a = 1\r\nb = \"x\"\r\n",
    "# c\na = 1 # tail\n// c\nb = 2 // tail\n/* x\n y */ c = 3\n",
    "resource \"aws_api_gateway_stage\" \"prod\" {\n  stage_name = \"prod\"\n  access_log_settings {\n    destination_arn = aws_cloudwatch_log_group.x.arn\n    format = jsonencode({ requestId = \"$context.requestId\", ip = \"$context.identity.sourceIp\" })\n  }\n}\n",
    "a { b = 1 }\nc {}\nd { }\ne \"l\" f { # c\n}\n",
    "x = [1, 2.5, -3, 1e3, 2.5E-2, 18446744073709551616, true, false, null]\n",
    "x = [\n  1,\n  2,\n]\ny = []\nz = [ ]\n",
    "x = { a = 1, \"b\" = 2, (var.k) = 3 }\ny = {\n  a = 1\n  b: 2 # c\n  c = 3 // c\n}\nz = {}\n",
    "x = a.b[0].c[*].d.*.e.0\ny = a[\"k\"]\nz = a [ 1 ]\n",
    "x = f()\ny = f(a, b,)\nz = f(a...)\nw = provider::aws::arn_parse(x)\nv = f(\n  a,\n  b\n)\n",
    "x = a ? b : c\ny = a == b && c != d || !e\nz = 1 + 2 * 3 - 4 / 5 % 6\nw = a < b ? a >= c : b <= d\nv = -a + - 1\n",
    "x = (a + b) * c\ny = (\n  a\n  + b\n)\n",
    "x = \"a${b}c${~ d ~}e\"\ny = \"$${x} %%{y} $ % \\n \\t \\\" \\\\ \\u00e9 \\U0001F600\"\nz = \"\"\n",
    "x = [for k, v in var.m : v if v != null]\ny = { for k, v in var.m : k => v... if k != \"\" }\nz = [for x in var.l: upper(x)]\n",
    "x = <<EOT\nline ${var.a}\n  $${b}\nEOT\ny = <<-EOT\n    a\n      b ${c}\n    EOT\n",
    "x = <<EOT\n${a}\nEOT\n",
    "locals {\n  m = merge(var.a, {\n    b = 1\n  })\n  l = concat([1], [\n    2,\n  ])\n}\n",
    "x = f(a)\n  .b\n",
    "x = [a\n  [0]]\n",
    "x = \"multi\nline\"\n",
    "é = 1\n",
    "x = \"é ${a} ü\"\n# ünïcode comment\n",
    "x = {\n  for k in var.l :\n  k => upper(k)\n}\n",
    "dynamic \"access_log_settings\" {\n  for_each = var.on ? [1] : []\n  content {\n    destination_arn = var.arn\n  }\n}\n",
];

const REJECTED: &[&str] = &[
    "a = 1\na = 2\n",
    "a = 1 b = 2\n",
    "a {\n b = 1 }\n",
    "a { b = 1\n}\n",
    "x = \"unterminated\n",
    "x = \"bad \\q escape\"\n",
    "x = [1,,2]\n",
    "x = { a = 1 b = 2 }\n",
    "x = { a = 1, a = 2 }\n",
    "x = f(a b)\n",
    "x = 1e\n",
    "x = a.\n",
    "x = a +\n",
    "x = <<EOT\nnever closed\n",
    "/* open",
    "x = 1 }\n",
    "a b {\n",
    "\"a\" = 1\n",
    "x = %{if a}b%{endif}\n",
    "x = !\n",
    "a \"${x}\" {\n}\n",
    "a = b\n  .c\n",
];

#[test]
fn reads_what_hcl_edit_reads() {
    let declined: Vec<&&str> = TAKEN.iter().filter(|src| !agrees(src)).collect();
    // Names beyond ASCII are left to hcl-edit; everything else here is read quickly.
    assert_eq!(declined, vec![&"é = 1\n"]);
}

#[test]
fn declines_what_hcl_edit_rejects() {
    for src in REJECTED {
        assert!(parse_body(src).is_none(), "quick reader took:\n{src}");
    }
}

#[test]
fn declines_directives_leaves_them_to_hcl_edit() {
    let src = "x = \"%{ if a }b%{ endif }\"\n";
    assert!(parse_body(src).is_none());
    assert!(super::super::parse_body(src).is_ok());
}

/// Every Terraform file of the project's rules, examples and bench generator reads the
/// same both ways, and the quick reader takes all but the rare one.
#[test]
fn project_files_agree() {
    files_agree(&project_files(&["tf", "tofu", "tfvars"]), agrees);
}

/// Names: the words HCL and Terraform give meaning to, and any others (ASCII or not).
fn ident() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "a", "b", "var", "local", "count", "each", "for", "format", "if", "in", "true",
            "null", "false", "x-y", "_z", "é", "module", "self", "path", "endif",
        ])
        .prop_map(str::to_string),
        2 => "[a-zA-Z_][a-zA-Z0-9_-]{0,8}",
        1 => "\\pL[\\pL\\pN_-]{0,4}",
    ]
}

/// Numbers as people and generators write them, and as no one should.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "0", "1", "2.5", "1e3", "-1", "1.", "007", "1e", ".5", "1_0"
        ])
        .prop_map(str::to_string),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f}")),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (any::<u32>(), 0u32..40).prop_map(|(m, e)| format!("{m}E+{e}")),
    ]
}

fn space() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        " ",
        "  ",
        "\t",
        "\n",
        "\r\n",
        " /* c */ ",
        " # c\n",
        " // c\n",
        "\n  ",
    ])
    .prop_map(str::to_string)
    .boxed()
    .prop_union(
        // Comments holding anything but their own end.
        prop_oneof![
            "[^\\n\\r]{0,12}".prop_map(|c| format!(" # {c}\n")),
            "[^*]{0,12}".prop_map(|c| format!(" /* {c} */ "))
        ]
        .boxed(),
    )
}

fn string_part() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "x",
        " ",
        "$",
        "%",
        "$${",
        "%%{",
        "\\n",
        "\\\"",
        "\\u00e9",
        "\\q",
        "é",
        "\n",
        "${a}",
        "${~ b.c ~}",
        "%{ if a }y%{ endif }",
        "{",
        "}",
    ])
    .prop_map(str::to_string)
    .boxed()
    .prop_union(
        prop_oneof![
            // Any text, and any character escaped.
            "\\PC{1,4}".boxed(),
            any::<char>()
                .prop_map(|c| format!("\\u{:04x}", u32::from(c) & 0xffff))
                .boxed(),
            any::<char>()
                .prop_map(|c| format!("\\U{:08x}", u32::from(c)))
                .boxed(),
        ]
        .boxed(),
    )
}

fn expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        ident(),
        number(),
        prop::collection::vec(string_part(), 0..4).prop_map(|p| format!("\"{}\"", p.concat())),
        prop::sample::select(vec![
            "<<EOT\na ${b}\nEOT\n",
            "<<-EOT\n  a\n    b\n  EOT\n",
            "<<EOT\nEOT\n",
            "<<X\n$${y}\n X\n",
        ])
        .prop_map(str::to_string),
        // Heredocs of any name, indentation and lines.
        (
            "[A-Z_]{1,5}",
            prop::bool::ANY,
            prop::collection::vec((" {0,4}", prop::collection::vec(string_part(), 0..3)), 0..4),
            " {0,4}"
        )
            .prop_map(|(name, dash, lines, close)| {
                let body: String = lines
                    .into_iter()
                    .map(|(indent, parts)| {
                        format!("{indent}{}\n", parts.concat().replace('\n', " "))
                    })
                    .collect();
                format!(
                    "<<{}{name}\n{body}{close}{name}\n",
                    if dash { "-" } else { "" }
                )
            }),
    ];
    leaf.prop_recursive(4, 40, 4, |inner| {
        let op = prop::sample::select(vec![
            "+", "-", "*", "/", "%", "==", "!=", "<", "<=", ">", ">=", "&&", "||", "=", "!",
        ]);
        prop_oneof![
            (inner.clone(), space(), op, space(), inner.clone())
                .prop_map(|(a, s1, o, s2, b)| format!("{a}{s1}{o}{s2}{b}")),
            (
                inner.clone(),
                space(),
                inner.clone(),
                space(),
                inner.clone()
            )
                .prop_map(|(c, s, t, s2, f)| format!("{c}{s}?{s2}{t}{s}:{s2}{f}")),
            (
                inner.clone(),
                prop::collection::vec((space(), ident()), 1..3)
            )
                .prop_map(|(e, parts)| {
                    let mut out = e;
                    for (s, p) in parts {
                        out.push_str(&format!("{s}.{p}"));
                    }
                    out
                }),
            (inner.clone(), space(), inner.clone()).prop_map(|(e, s, i)| format!("{e}{s}[{i}]")),
            (
                inner.clone(),
                prop::sample::select(vec!["[*]", ".*", ".0", "[\"k\"]"])
            )
                .prop_map(|(e, s)| format!("{e}{s}")),
            (
                ident(),
                prop::collection::vec((space(), inner.clone()), 0..3),
                space(),
                prop::sample::select(vec!["", ",", "...", ",,"])
            )
                .prop_map(|(f, args, s, t)| {
                    let args: Vec<String> =
                        args.into_iter().map(|(s, a)| format!("{s}{a}")).collect();
                    format!("{f}({}{t}{s})", args.join(","))
                }),
            (
                prop::collection::vec((space(), inner.clone()), 0..3),
                space(),
                prop::sample::select(vec!["", ","])
            )
                .prop_map(|(items, s, t)| {
                    let items: Vec<String> =
                        items.into_iter().map(|(s, a)| format!("{s}{a}")).collect();
                    format!("[{}{t}{s}]", items.join(","))
                }),
            (
                prop::collection::vec(
                    (
                        space(),
                        ident(),
                        prop::sample::select(vec![" = ", ":", "="]),
                        inner.clone(),
                        prop::sample::select(vec![",", "\n", " # c\n", ""])
                    ),
                    0..3
                ),
                space()
            )
                .prop_map(|(items, s)| {
                    let body: String = items
                        .into_iter()
                        .map(|(s, k, a, v, t)| format!("{s}{k}{a}{v}{t}"))
                        .collect();
                    format!("{{{body}{s}}}")
                }),
            (
                space(),
                ident(),
                inner.clone(),
                inner.clone(),
                prop::option::of(inner.clone())
            )
                .prop_map(|(s, v, c, e, cond)| {
                    let cond = cond.map(|c| format!(" if {c}")).unwrap_or_default();
                    format!("[{s}for {v} in {c} :{s}{e}{cond}]")
                }),
            (
                space(),
                ident(),
                inner.clone(),
                inner.clone(),
                inner.clone()
            )
                .prop_map(|(s, v, c, k, e)| format!("{{{s}for k, {v} in {c} : {k} => {e}{s}}}")),
            (space(), inner.clone()).prop_map(|(s, e)| format!("({s}{e}{s})")),
            (prop::sample::select(vec!["-", "!"]), inner.clone())
                .prop_map(|(o, e)| format!("{o}{e}")),
        ]
    })
}

fn body() -> impl Strategy<Value = String> {
    let attr = (ident(), space(), expr(), space())
        .prop_map(|(k, s, v, t)| format!("{k} ={s}{v}{t}\n"))
        .boxed();
    prop::collection::vec(
        prop_oneof![
            attr.clone(),
            (
                ident(),
                prop::collection::vec(prop_oneof![ident(), Just("\"l\"".to_string())], 0..3),
                prop::collection::vec(attr.clone(), 0..3),
                space()
            )
                .prop_map(|(n, labels, attrs, s)| format!(
                    "{n} {} {{{s}\n{}}}\n",
                    labels.join(" "),
                    attrs.concat()
                )),
            (ident(), ident(), expr()).prop_map(|(n, k, v)| format!("{n} {{ {k} = {v} }}\n")),
            space(),
        ],
        0..5,
    )
    .prop_map(|parts| parts.concat())
}

/// The generator makes text both read often enough for the property to mean something.
#[test]
fn generated_bodies_are_often_read() {
    let read = read_of_500(body(), agrees);
    assert!(read >= 100, "{read} of 500 generated bodies read");
}

/// 2,000 cases a run, or `PROPTEST_CASES` (long runs: `PROPTEST_CASES=100000 cargo test
/// --release -p stagelog-syntax quick`).
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2000)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn generated_bodies_agree(src in body()) {
        agrees(&src);
    }

    /// Broken text: a generated body with a byte range cut out or a byte put in.
    #[test]
    fn damaged_bodies_agree(src in body(), at in any::<prop::sample::Index>(), len in 0usize..4, byte in prop::sample::select(vec![b'"', b'{', b'}', b'[', b'(', b'=', b'\n', b'$', b'~', b'.', b'#'])) {
        if let Some(text) = damaged(&src, at, len, byte) {
            agrees(&text);
        }
    }
}
