//! Modality reliance of multimodal models (issue 7): ablation plans, perceptual score, Shapley
//! modality attribution, conflict preference, cross-modal consistency. Not yet built.
