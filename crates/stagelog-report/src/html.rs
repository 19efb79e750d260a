//! One self-contained HTML page (no network fetches): the summary by severity and rule, the
//! findings grouped by file or by account and region, each with its rule's explanation and
//! fix, filterable by severity and text in the page.

use crate::{group_of, place, Report};
use stagelog_model::Severity;
use std::collections::BTreeMap;

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1b1f24;background:#fff}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.n{text-align:right}
.sev{font-weight:600;border-radius:1em;padding:0 .6em;white-space:nowrap}
.high{background:#ffebe9;color:#a40e26}.medium{background:#fff1e5;color:#953800}.low{background:#fff8c5;color:#7d4e00}.info{background:#ddf4ff;color:#0550ae}
details{margin:.2rem 0}summary{cursor:pointer;color:#57606a}
.controls{position:sticky;top:0;background:#fff;padding:.5rem 0;border-bottom:1px solid #d0d7de}
code{font-size:12px}pre{white-space:pre-wrap;background:#f6f8fa;padding:.5rem}
";

const SCRIPT: &str = "
function applyFilter(){
  var sev=document.getElementById('severity').value;
  var text=document.getElementById('search').value.toLowerCase();
  var shown=0;
  document.querySelectorAll('tr.finding').forEach(function(row){
    var ok=(sev==='all'||row.dataset.severity===sev)&&(text===''||row.textContent.toLowerCase().indexOf(text)>=0);
    row.hidden=!ok; if(ok){shown++;}
  });
  document.querySelectorAll('section.group').forEach(function(g){
    g.hidden=g.querySelectorAll('tr.finding:not([hidden])').length===0;
  });
  document.getElementById('shown').textContent=shown;
  document.body.dataset.visibleFindings=String(shown);
  document.body.dataset.tableVisible=String(document.getElementById('findings').offsetHeight>0);
}
function fromHash(){
  var m=/severity=(\\w+)/.exec(location.hash);
  if(m){document.getElementById('severity').value=m[1];}
  var q=/q=([^&]*)/.exec(location.hash);
  if(q){document.getElementById('search').value=decodeURIComponent(q[1]);}
  applyFilter();
}
document.getElementById('severity').addEventListener('change',function(){
  location.hash='severity='+this.value; applyFilter();
});
document.getElementById('search').addEventListener('input',applyFilter);
window.addEventListener('hashchange',fromHash);
fromHash();
";

pub fn render(report: &Report) -> String {
    let title = report.title.as_deref().unwrap_or("stagelog report");
    let mut h = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
<title>{t}</title><style>{STYLE}</style></head>\n<body>\n<h1>{t}: API Gateway stage logging</h1>\n",
        t = crate::markup::escape(title)
    );
    h.push_str(&format!(
        "<p>{} findings in {} stages {}, {} errors.</p>\n",
        report.findings.len(),
        report.stages,
        crate::markup::escape(&report.coverage()),
        report.errors.len()
    ));
    h.push_str(
        "<table id=\"by-severity\"><tr><th>severity</th><th class=\"n\">findings</th></tr>\n",
    );
    for sev in [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ] {
        h.push_str(&format!(
            "<tr><td><span class=\"sev {s}\">{s}</span></td><td class=\"n\">{}</td></tr>\n",
            report.count(sev),
            s = sev.as_str()
        ));
    }
    h.push_str("</table>\n<table id=\"by-rule\"><tr><th>rule</th><th>name</th><th class=\"n\">findings</th></tr>\n");
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_rule.entry(f.rule_id).or_default() += 1;
    }
    for (id, n) in &by_rule {
        let name = stagelog_rules::find(id).map(|r| r.name).unwrap_or("");
        h.push_str(&format!(
            "<tr><td><a href=\"#rule-{id}\">{id}</a></td><td>{}</td><td class=\"n\">{n}</td></tr>\n",
            crate::markup::escape(name)
        ));
    }
    h.push_str("</table>\n");
    h.push_str(
        "<div class=\"controls\"><label>Severity <select id=\"severity\"><option value=\"all\">all</option>\
<option value=\"high\">high</option><option value=\"medium\">medium</option><option value=\"low\">low</option>\
<option value=\"info\">info</option></select></label> <label>Search <input id=\"search\" type=\"search\" \
placeholder=\"rule, file, resource, text\"></label> <span id=\"shown\"></span> shown</div>\n",
    );
    let mut groups: BTreeMap<String, Vec<&stagelog_model::Finding>> = BTreeMap::new();
    for f in &report.findings {
        groups.entry(group_of(f)).or_default().push(f);
    }
    h.push_str("<div id=\"findings\">\n");
    for (group, findings) in &groups {
        h.push_str(&format!(
            "<section class=\"group\"><h2>{}</h2>\n<table class=\"findings\"><tr><th>severity</th><th>rule</th><th>where</th><th>finding</th></tr>\n",
            crate::markup::escape(group)
        ));
        for f in findings {
            let rule = stagelog_rules::find(f.rule_id);
            let why = rule
                .and_then(|r| r.doc().section("Rationale").map(str::to_string))
                .unwrap_or_default();
            h.push_str(&format!(
                "<tr class=\"finding\" data-severity=\"{s}\" data-rule=\"{id}\"><td><span class=\"sev {s}\">{s}</span></td>\
<td><a id=\"rule-{id}\"></a>{id}<br><small>{name}</small></td><td><code>{place}</code></td>\
<td>{msg}<details><summary>why and how to fix</summary><p>{why}</p><p><b>Fix:</b> {fix}</p>\
<p><code>stagelog explain {id}</code></p></details></td></tr>\n",
                s = f.severity.as_str(),
                id = f.rule_id,
                name = crate::markup::escape(rule.map(|r| r.name).unwrap_or("")),
                place = crate::markup::escape(&place(f)),
                msg = crate::markup::escape(&f.message),
                why = crate::markup::escape(&why),
                fix = crate::markup::escape(&f.fix),
            ));
        }
        h.push_str("</table></section>\n");
    }
    h.push_str("</div>\n");
    if !report.errors.is_empty() {
        h.push_str("<h2>Could not be read</h2><ul>\n");
        for e in &report.errors {
            let at = e.place();
            h.push_str(&format!(
                "<li><code>{}</code> {}</li>\n",
                crate::markup::escape(&at),
                crate::markup::escape(&e.message)
            ));
        }
        h.push_str("</ul>\n");
    }
    if !report.notes.is_empty() {
        h.push_str("<h2>Notes</h2><ul>\n");
        for n in &report.notes {
            h.push_str(&format!("<li>{}</li>\n", crate::markup::escape(n)));
        }
        h.push_str("</ul>\n");
    }
    h.push_str(&format!("<script>{SCRIPT}</script>\n</body></html>\n"));
    h
}
