//! Retention (E3): evidence is kept for the longest retention of the enabled
//! frameworks.

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::error::UnknownFramework;

/// The retention that applies, and the frameworks it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    /// Days raw evidence is kept at least.
    pub days: u64,
    /// The enabled frameworks with that retention (ids, catalog order; more than one
    /// on a tie).
    pub frameworks: Vec<String>,
}

/// The longest retention among the `enabled` frameworks (any names
/// [`Catalog::framework`] accepts; `fedramp` and `nist-800-53` are one framework).
/// `None` when none is enabled: the caller decides then (keeping everything is the
/// safe default).
///
/// # Errors
///
/// [`UnknownFramework`] for the first name the catalog does not have.
pub fn retention_days<S: AsRef<str>>(catalog: &Catalog, enabled: &[S]) -> Result<Option<Retention>, UnknownFramework> {
    let mut frameworks = Vec::new();
    for name in enabled {
        let framework = catalog.framework(name.as_ref())?;
        if !frameworks.iter().any(|seen: &&crate::catalog::Framework| seen.id == framework.id) {
            frameworks.push(framework);
        }
    }
    let Some(days) = frameworks.iter().map(|framework| framework.retention_days).max() else {
        return Ok(None);
    };
    let mut deciding: Vec<&crate::catalog::Framework> =
        frameworks.into_iter().filter(|framework| framework.retention_days == days).collect();
    // Catalog order, whatever order they were enabled in.
    deciding.sort_by_key(|framework| catalog.frameworks().iter().position(|known| known.id == framework.id));
    Ok(Some(Retention { days, frameworks: deciding.into_iter().map(|framework| framework.id.clone()).collect() }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_enabled_wins() {
        let catalog = Catalog::built_in();
        let all = retention_days(&catalog, &["soc2", "iso27001", "pci-dss", "hipaa", "nist-800-53"]).unwrap();
        assert_eq!(all, Some(Retention { days: 2192, frameworks: vec!["hipaa".into()] }));
        let some = retention_days(&catalog, &["pci-dss", "fedramp", "soc2"]).unwrap();
        assert_eq!(some, Some(Retention { days: 913, frameworks: vec!["nist-800-53".into()] }));
        // A tie names both, in catalog order.
        let tie = retention_days(&catalog, &["pci-dss", "soc2"]).unwrap();
        assert_eq!(tie, Some(Retention { days: 365, frameworks: vec!["soc2".into(), "pci-dss".into()] }));
        // One framework under two names counts once.
        let same = retention_days(&catalog, &["fedramp", "nist-800-53"]).unwrap();
        assert_eq!(same, Some(Retention { days: 913, frameworks: vec!["nist-800-53".into()] }));
        assert_eq!(retention_days::<&str>(&catalog, &[]).unwrap(), None);
        assert!(retention_days(&catalog, &["soc3"]).is_err());
    }

    #[test]
    fn user_retention_counts() {
        let catalog =
            Catalog::built_in().merge("frameworks:\n  - id: soc2\n    retention_days: 3000\n", "mine.yaml").unwrap();
        let retention = retention_days(&catalog, &["soc2", "hipaa"]).unwrap().unwrap();
        assert_eq!((retention.days, retention.frameworks), (3000, vec!["soc2".to_owned()]));
    }
}
