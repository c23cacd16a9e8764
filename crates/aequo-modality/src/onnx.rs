//! ONNX multimodal classifiers (feature `onnx`): an ablation plan run against an ONNX model with
//! one float input per modality, evaluated in-process by tract (pure Rust; no runtime library,
//! nothing downloaded at build time).
//!
//! The model's inputs are matched to the manifest's modalities by name; each manifest input is
//! a JSON array of numbers (a feature vector, `[1, d]` for the model). A removed modality is a
//! zero vector of its dimension — the late-fusion convention of [`crate::fusion`], under which
//! a linear head contributes only its bias. The answer is read from one output: an integer
//! class index (`label`, as an `ArgMax` or scikit-learn converter gives), or float scores
//! (`[1, C]` logits or probabilities), whose arg-max is taken; `classes` maps the index to the
//! answer string (by default the index itself).

use crate::error::{ModalityError, Result};
use crate::plan::{Request, Runner};
use crate::value::Modality;
use std::path::Path;
use tract_onnx::prelude::*;

/// A loaded ONNX classifier.
pub struct OnnxClassifier {
    plan: TypedRunnableModel<TypedModel>,
    /// (modality, dimension) per model input, in the model's input order.
    inputs: Vec<(Modality, usize)>,
    output: usize,
    output_name: String,
    classes: Option<Vec<String>>,
}

impl std::fmt::Debug for OnnxClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxClassifier")
            .field("inputs", &self.inputs)
            .field("output", &self.output_name)
            .finish()
    }
}

/// A JSON value shortened for an error message.
fn short_json(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 48 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn onnx_err(path: &Path, what: &str, e: impl std::fmt::Display) -> ModalityError {
    ModalityError::InvalidInput {
        message: format!("{}: {what}: {e}", path.display()),
    }
}

impl OnnxClassifier {
    /// Loads `path`; `dims` gives each modality's feature dimension (model input names must be
    /// exactly these modalities); `output` names the output to read (default: `label` if the
    /// model has it, else its first output).
    pub fn load(
        path: &Path,
        dims: &[(Modality, usize)],
        output: Option<&str>,
        classes: Option<Vec<String>>,
    ) -> Result<Self> {
        let mut model = tract_onnx::onnx()
            .model_for_path(path)
            .map_err(|e| onnx_err(path, "not a loadable ONNX model", e))?;
        let outlets = model
            .input_outlets()
            .map_err(|e| onnx_err(path, "inputs", e))?
            .to_vec();
        let names: Vec<String> = outlets
            .iter()
            .map(|o| model.node(o.node).name.clone())
            .collect();
        let mut inputs = Vec::new();
        for (ix, name) in names.iter().enumerate() {
            let Some((m, d)) = dims.iter().find(|(m, _)| m.as_str() == name) else {
                return Err(onnx_err(
                    path,
                    "input names",
                    format!(
                        "the model input `{name}` is not a manifest modality ({}); name the model's inputs after the modalities",
                        dims.iter().map(|(m, _)| m.as_str()).collect::<Vec<_>>().join(", ")
                    ),
                ));
            };
            model
                .set_input_fact(ix, InferenceFact::dt_shape(f32::datum_type(), tvec!(1, *d)))
                .map_err(|e| onnx_err(path, &format!("input `{name}` as [1, {d}] float"), e))?;
            inputs.push((m.clone(), *d));
        }
        if let Some((m, _)) = dims.iter().find(|(m, _)| !names.contains(&m.0)) {
            return Err(onnx_err(
                path,
                "input names",
                format!(
                    "the manifest modality `{m}` is not a model input (the model has {}); the model would never see it",
                    names.join(", ")
                ),
            ));
        }
        let outs = model
            .output_outlets()
            .map_err(|e| onnx_err(path, "outputs", e))?
            .to_vec();
        let out_names: Vec<String> = outs
            .iter()
            .map(|o| {
                model
                    .outlet_label(*o)
                    .map(str::to_string)
                    .unwrap_or_else(|| model.node(o.node).name.clone())
            })
            .collect();
        let wanted = output.unwrap_or(if out_names.iter().any(|n| n == "label") {
            "label"
        } else {
            out_names.first().map(String::as_str).unwrap_or("")
        });
        let output = out_names.iter().position(|n| n == wanted).ok_or_else(|| {
            onnx_err(
                path,
                "output",
                format!(
                    "no output `{wanted}`; the model has {}",
                    out_names.join(", ")
                ),
            )
        })?;
        let shapes: Vec<String> = inputs
            .iter()
            .map(|(m, d)| format!("{m} [1, {d}]"))
            .collect();
        let plan = model
            .into_optimized()
            .and_then(|m| m.into_runnable())
            .map_err(|e| {
                onnx_err(
                    path,
                    &format!(
                        "cannot be prepared for inference with float inputs {} (the manifest's feature-vector lengths); check them against the model",
                        shapes.join(", ")
                    ),
                    format!("{e:#}"),
                )
            })?;
        Ok(Self {
            plan,
            inputs,
            output,
            output_name: out_names[output].clone(),
            classes,
        })
    }

    /// The feature dimension of each modality, from the first manifest item's inputs.
    pub fn dims_from(plan: &crate::plan::Plan) -> Result<Vec<(Modality, usize)>> {
        let first = plan
            .manifest
            .items
            .first()
            .ok_or_else(|| ModalityError::InvalidConfig {
                message: "the manifest has no items".into(),
            })?;
        plan.manifest
            .modalities
            .iter()
            .map(|m| {
                let v = first.inputs.get(m).and_then(|v| v.as_array()).ok_or_else(|| {
                    ModalityError::InvalidInput {
                        message: format!(
                            "item `{}`: the `{m}` input is not a feature vector (a JSON array of numbers), which an ONNX classifier needs",
                            first.id
                        ),
                    }
                })?;
                Ok((m.clone(), v.len()))
            })
            .collect()
    }

    /// Raw output for the given inputs (`None`: the modality is removed, a zero vector).
    pub fn run(&self, features: &[Option<Vec<f32>>]) -> Result<Tensor> {
        let mut tensors: TVec<TValue> = tvec!();
        for ((m, d), f) in self.inputs.iter().zip(features) {
            let data = f.clone().unwrap_or_else(|| vec![0.0; *d]);
            if data.len() != *d {
                return Err(ModalityError::InvalidInput {
                    message: format!(
                        "the `{m}` input has {} values, the model takes {d}",
                        data.len()
                    ),
                });
            }
            let t = Tensor::from_shape(&[1, *d], &data).map_err(|e| ModalityError::Live {
                message: format!("building the `{m}` tensor: {e}"),
            })?;
            tensors.push(t.into_tvalue());
        }
        let mut out = self.plan.run(tensors).map_err(|e| ModalityError::Live {
            message: format!("ONNX inference failed: {e}"),
        })?;
        if self.output >= out.len() {
            return Err(ModalityError::Live {
                message: format!("the model produced no output `{}`", self.output_name),
            });
        }
        Ok(out.swap_remove(self.output).into_tensor())
    }

    /// The predicted class index.
    pub fn predict(&self, features: &[Option<Vec<f32>>]) -> Result<usize> {
        let t = self.run(features)?;
        let bad = |e: &dyn std::fmt::Display| ModalityError::Live {
            message: format!("output `{}`: {e}", self.output_name),
        };
        if t.datum_type().is_integer() {
            let v = t.cast_to::<i64>().map_err(|e| bad(&e))?;
            let v = v.as_slice::<i64>().map_err(|e| bad(&e))?;
            match v {
                [c] if *c >= 0 => Ok(*c as usize),
                _ => Err(bad(&format!(
                    "expected one non-negative class index, got {v:?}"
                ))),
            }
        } else {
            let v = t.cast_to::<f32>().map_err(|e| bad(&e))?;
            let v = v.as_slice::<f32>().map_err(|e| bad(&e))?;
            if v.is_empty() || v.iter().any(|x| !x.is_finite()) {
                return Err(bad(&"scores are empty or not finite"));
            }
            Ok(v.iter()
                .enumerate()
                .fold(0, |b, (i, x)| if *x > v[b] { i } else { b }))
        }
    }

    fn features(&self, r: &Request) -> Result<Vec<Option<Vec<f32>>>> {
        self.inputs
            .iter()
            .map(|(m, _)| match r.inputs.get(m) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::Array(a)) => a
                    .iter()
                    .map(|x| x.as_f64().map(|x| x as f32))
                    .collect::<Option<Vec<f32>>>()
                    .map(Some)
                    .ok_or_else(|| ModalityError::InvalidInput {
                        message: format!(
                            "item `{}`, condition `{}`: the `{m}` input has a value that is not a number",
                            r.id, r.condition
                        ),
                    }),
                Some(other) => Err(ModalityError::InvalidInput {
                    message: format!(
                        "item `{}`, condition `{}`: the `{m}` input is {}, not a feature vector",
                        r.id,
                        r.condition,
                        short_json(other)
                    ),
                }),
            })
            .collect()
    }
}

impl Runner for OnnxClassifier {
    fn answer(&mut self, request: &Request) -> Result<String> {
        let f = self.features(request)?;
        let c = self.predict(&f)?;
        match &self.classes {
            None => Ok(c.to_string()),
            Some(names) => names.get(c).cloned().ok_or_else(|| ModalityError::Live {
                message: format!(
                    "the model predicted class {c} but only {} class names were given",
                    names.len()
                ),
            }),
        }
    }
}
