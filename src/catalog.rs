//! The models known to work with anuvad (`models/catalog.toml`, compiled in).

use serde::Deserialize;

/// One known-good model.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct CatalogEntry {
    /// Hub id.
    pub id: String,
    /// Hub revision to use.
    pub revision: String,
    /// `model_type` of its `config.json`.
    pub architecture: String,
    /// Licence of the weights.
    pub licence: String,
    /// Download size in MB.
    pub size_mb: u32,
    /// Parameters, in millions.
    pub parameters_m: u32,
    /// FLORES-200 devtest hin->eng BLEU, where published (and read by us).
    pub bleu: Option<f32>,
    /// FLORES-200 devtest hin->eng chrF (chrF++ for NLLB), where published.
    pub chrf: Option<f32>,
    /// Beams to decode with, where the catalog recommends a number the model's files leave unset.
    #[serde(default)]
    pub beams: Option<usize>,
    /// Where the scores come from.
    pub scores_source: String,
    /// A short remark.
    pub note: String,
}

#[derive(Deserialize)]
struct Catalog {
    model: Vec<CatalogEntry>,
}

const CATALOG: &str = include_str!("../models/catalog.toml");

/// The catalog, in file order (smallest and fastest first).
pub fn catalog() -> Vec<CatalogEntry> {
    // The file is compiled in and checked by a test, so parsing cannot fail at run time.
    toml::from_str::<Catalog>(CATALOG).map(|c| c.model).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalog_parses_and_names_supported_architectures() {
        let entries: super::Catalog = toml::from_str(super::CATALOG).expect("models/catalog.toml parses");
        assert!(entries.model.len() >= 4);
        assert_eq!(entries.model[0].id, crate::DEFAULT_MODEL);
        for entry in &entries.model {
            assert!(
                crate::model::Architecture::from_model_type(&entry.architecture).is_some(),
                "{}",
                entry.id
            );
        }
    }
}
