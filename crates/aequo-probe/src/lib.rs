//! Counterfactual probing of language models for social bias (issue 6): suites, model backends,
//! the run journal and the probe metrics. Not yet built.
