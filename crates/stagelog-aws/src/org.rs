//! The accounts of an AWS Organization (`--org-role`): listed from the management account or a
//! delegated administrator with `organizations:ListAccounts`, suspended and closed ones left
//! out, narrowed by `--accounts` / `--exclude-accounts`.

use crate::sdk_error;
use aws_config::SdkConfig;

/// What the walk starts from: who is calling, in which partition, and the accounts to read.
pub(crate) struct Organization {
    /// The calling account: read with its own credentials, never through the role.
    pub caller: String,
    /// `aws`, `aws-cn`, `aws-us-gov`: the partition the role ARNs are made in.
    pub partition: String,
    /// Active accounts, sorted, after the filters.
    pub accounts: Vec<String>,
    /// Accounts left out because Organizations says they are not active, with their state.
    pub inactive: Vec<(String, String)>,
    /// Accounts `--accounts` names that the Organization does not list.
    pub unknown: Vec<String>,
}

/// Whether Organizations reports the account as one that can be entered.
fn is_active(account: &aws_sdk_organizations::types::Account) -> Result<(), String> {
    use aws_sdk_organizations::types::{AccountState, AccountStatus};
    // `State` replaces `Status` (deprecated by AWS in 2025); either may be what a caller gets.
    if let Some(state) = account.state() {
        return match state {
            AccountState::Active => Ok(()),
            other => Err(other.as_str().to_string()),
        };
    }
    #[allow(deprecated)]
    match account.status() {
        Some(AccountStatus::Active) | None => Ok(()),
        Some(other) => Err(other.as_str().to_string()),
    }
}

/// Lists the Organization's accounts the options name.
pub(crate) async fn accounts(
    base: &SdkConfig,
    only: &[String],
    exclude: &[String],
) -> Result<Organization, String> {
    let identity = aws_sdk_sts::Client::new(base)
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| crate::identity_error(&e))?;
    let caller = identity.account().unwrap_or_default().to_string();
    let partition = identity
        .arn()
        .and_then(|arn| arn.split(':').nth(1))
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
        .to_string();
    let client = aws_sdk_organizations::Client::new(base);
    let pages: Vec<_> = client
        .list_accounts()
        .into_paginator()
        .send()
        .try_collect()
        .await
        .map_err(|e| {
            format!(
                "--org-role: cannot list the Organization's accounts from account {caller} \
                 (run from the management account or a delegated administrator, with \
                 organizations:ListAccounts): {}",
                sdk_error(&e)
            )
        })?;
    let wanted = |id: &str| {
        (only.is_empty() || only.iter().any(|a| a == id)) && !exclude.iter().any(|a| a == id)
    };
    let listed: Vec<&str> = pages
        .iter()
        .flat_map(|p| p.accounts())
        .filter_map(|a| a.id())
        .collect();
    // An Organization always lists its management account: nothing means no answer to trust.
    if listed.is_empty() {
        return Err(format!(
            "--org-role: the Organization lists no account to account {caller}"
        ));
    }
    let unknown = only
        .iter()
        .filter(|id| !listed.contains(&id.as_str()))
        .cloned()
        .collect();
    let mut accounts = Vec::new();
    let mut inactive = Vec::new();
    for account in pages.iter().flat_map(|p| p.accounts()) {
        let Some(id) = account.id() else { continue };
        if !wanted(id) {
            continue;
        }
        match is_active(account) {
            Ok(()) => accounts.push(id.to_string()),
            Err(state) => inactive.push((id.to_string(), state)),
        }
    }
    accounts.sort();
    accounts.dedup();
    inactive.sort();
    Ok(Organization {
        caller,
        partition,
        accounts,
        inactive,
        unknown,
    })
}

/// Account ids from `--accounts` / `--exclude-accounts`: comma-separated ids, or `@FILE` with
/// ids separated by commas, spaces or lines (`#` starts a comment). Each must be 12 digits.
pub fn parse_account_list(values: &[String]) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for value in values {
        let text = match value.strip_prefix('@') {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the account list {path}: {e}"))?,
            None => value.clone(),
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            for id in line
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
            {
                if id.len() != 12 || !id.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!(
                        "`{id}` is not an AWS account id (12 digits){}",
                        value
                            .strip_prefix('@')
                            .map(|p| format!(" in {p}"))
                            .unwrap_or_default()
                    ));
                }
                out.push(id.to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::parse_account_list;

    #[test]
    fn account_lists_from_arguments_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("accounts.txt");
        std::fs::write(
            &file,
            "# production\n111111111111\n222222222222, 333333333333 # payments\n\n",
        )
        .unwrap();
        let got = parse_account_list(&[
            "444444444444,111111111111".into(),
            format!("@{}", file.display()),
        ])
        .unwrap();
        assert_eq!(
            got,
            [
                "111111111111",
                "222222222222",
                "333333333333",
                "444444444444"
            ]
        );
        let e = parse_account_list(&["12345".into()]).unwrap_err();
        assert!(e.contains("`12345` is not an AWS account id"), "{e}");
        let e = parse_account_list(&["@/nonexistent/accounts".into()]).unwrap_err();
        assert!(e.contains("cannot read the account list"), "{e}");
    }
}
