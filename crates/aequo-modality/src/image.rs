//! Images for live mode: PNG decoding and encoding (8-bit grey, grey+alpha, RGB, RGBA), `data:`
//! URLs, and the image ablations — a blank image and a noise image of the original's size.
//!
//! Only PNG is decoded: blank and noised ablations need the original's size, and PNG is what
//! every vision-language API accepts. JPEG, WebP and GIF inputs are passed through as they are
//! (own or swapped image) and a removed image may still be omitted; asking for a blank or noise
//! image of one is a clear error.

use crate::error::{ModalityError, Result};
use base64::Engine as _;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// A decoded 8-bit image, row-major, `channels` bytes per pixel (1 grey, 2 grey+alpha, 3 RGB,
/// 4 RGBA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes per pixel.
    pub channels: u8,
    /// Pixels.
    pub data: Vec<u8>,
}

fn bad(what: &str, message: impl std::fmt::Display) -> ModalityError {
    ModalityError::InvalidInput {
        message: format!("{what}: {message}"),
    }
}

impl Image {
    /// A constant image.
    pub fn filled(width: u32, height: u32, channels: u8, value: u8) -> Self {
        let len = width as usize * height as usize * channels as usize;
        Image {
            width,
            height,
            channels,
            data: vec![value; len],
        }
    }

    /// Uniform noise of the given size (alpha, if any, opaque), from a seeded generator.
    pub fn noise(width: u32, height: u32, channels: u8, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut img = Image::filled(width, height, channels, 255);
        let colour = match channels {
            2 => 1,
            4 => 3,
            c => c as usize,
        };
        for px in img.data.chunks_mut(channels as usize) {
            for v in &mut px[..colour] {
                *v = rng.random();
            }
        }
        img
    }

    /// Mean of the colour channels of pixel `i` (alpha ignored).
    pub fn luma(&self, i: usize) -> f64 {
        let c = self.channels as usize;
        let px = &self.data[i * c..(i + 1) * c];
        let colour = match c {
            2 => &px[..1],
            4 => &px[..3],
            _ => px,
        };
        colour.iter().map(|v| f64::from(*v)).sum::<f64>() / colour.len() as f64
    }

    /// Decodes a PNG (any bit depth and colour type; palettes expanded, 16-bit stripped to 8).
    pub fn decode_png(bytes: &[u8], what: &str) -> Result<Self> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder
            .read_info()
            .map_err(|e| bad(what, format!("not a readable PNG ({e})")))?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| bad(what, "the PNG is too large to decode"))?;
        let mut buf = vec![0; size];
        let info = reader
            .next_frame(&mut buf)
            .map_err(|e| bad(what, format!("not a readable PNG ({e})")))?;
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Indexed => {
                return Err(bad(what, "the PNG palette was not expanded"));
            }
        };
        buf.truncate(info.buffer_size());
        Ok(Image {
            width: info.width,
            height: info.height,
            channels,
            data: buf,
        })
    }

    /// Encodes as PNG.
    pub fn encode_png(&self) -> Result<Vec<u8>> {
        let expected = self.width as usize * self.height as usize * self.channels as usize;
        if self.data.len() != expected || self.width == 0 || self.height == 0 {
            return Err(bad(
                "image",
                format!(
                    "{}×{}×{} needs {expected} bytes, has {}",
                    self.width,
                    self.height,
                    self.channels,
                    self.data.len()
                ),
            ));
        }
        let colour = match self.channels {
            1 => png::ColorType::Grayscale,
            2 => png::ColorType::GrayscaleAlpha,
            3 => png::ColorType::Rgb,
            4 => png::ColorType::Rgba,
            c => return Err(bad("image", format!("{c} channels; use 1 to 4"))),
        };
        let mut out = Vec::new();
        let mut enc = png::Encoder::new(&mut out, self.width, self.height);
        enc.set_color(colour);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| bad("PNG encoding", e.to_string()))?;
        w.write_image_data(&self.data)
            .map_err(|e| bad("PNG encoding", e.to_string()))?;
        w.finish().map_err(|e| bad("PNG encoding", e.to_string()))?;
        Ok(out)
    }
}

/// An image file's bytes with its media type (from the extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedImage {
    /// `image/png`, `image/jpeg`, `image/webp` or `image/gif`.
    pub mime: String,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

impl EncodedImage {
    /// A PNG.
    pub fn png(img: &Image) -> Result<Self> {
        Ok(EncodedImage {
            mime: "image/png".into(),
            bytes: img.encode_png()?,
        })
    }

    /// Reads an image file; the media type comes from the extension.
    pub fn read(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .unwrap_or_default();
        let mime = match ext.as_str() {
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "webp" => "image/webp",
            "gif" => "image/gif",
            _ => {
                return Err(bad(
                    &path.display().to_string(),
                    "unknown image type; use a .png, .jpg, .jpeg, .webp or .gif file",
                ))
            }
        };
        let bytes = std::fs::read(path).map_err(|source| ModalityError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(EncodedImage {
            mime: mime.into(),
            bytes,
        })
    }

    /// Parses a base64 `data:` URL.
    pub fn from_data_url(url: &str) -> Result<Self> {
        let short: String = url.chars().take(40).collect();
        let what = format!("data URL `{short}…`");
        let rest = url
            .strip_prefix("data:")
            .ok_or_else(|| bad(&what, "does not start with `data:`"))?;
        let (head, payload) = rest
            .split_once(',')
            .ok_or_else(|| bad(&what, "has no `,` before the payload"))?;
        let mime = head
            .strip_suffix(";base64")
            .ok_or_else(|| bad(&what, "is not base64-encoded (`;base64,` expected)"))?;
        if !mime.starts_with("image/") {
            return Err(bad(&what, format!("media type `{mime}` is not an image")));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(payload.trim())
            .map_err(|e| bad(&what, format!("invalid base64 ({e})")))?;
        Ok(EncodedImage {
            mime: mime.into(),
            bytes,
        })
    }

    /// The `data:` URL.
    pub fn data_url(&self) -> String {
        format!(
            "data:{};base64,{}",
            self.mime,
            base64::engine::general_purpose::STANDARD.encode(&self.bytes)
        )
    }

    /// Decodes it (PNG only).
    pub fn decode(&self, what: &str) -> Result<Image> {
        if self.mime != "image/png" {
            return Err(bad(
                what,
                format!(
                    "is {}; blank and noised images need the size of a PNG original (convert the images to PNG or use --image-ablation omit)",
                    self.mime
                ),
            ));
        }
        Image::decode_png(&self.bytes, what)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_and_data_url_round_trip_and_bad_input_is_an_error() {
        for channels in 1..=4u8 {
            let img = Image::noise(5, 3, channels, 9);
            let enc = EncodedImage::png(&img).expect("encode");
            let url = enc.data_url();
            assert!(url.starts_with("data:image/png;base64,"));
            let back = EncodedImage::from_data_url(&url)
                .expect("parse")
                .decode("x")
                .expect("decode");
            assert_eq!(back, img);
        }
        let n = Image::noise(4, 4, 4, 1);
        assert!(n.data.chunks(4).all(|p| p[3] == 255));
        assert_ne!(Image::noise(4, 4, 1, 1), Image::noise(4, 4, 1, 2));
        assert!((Image::filled(2, 2, 3, 7).luma(3) - 7.0).abs() < 1e-12);
        for url in [
            "http://x/y.png",
            "data:image/png;base64",
            "data:image/png,AAAA",
            "data:text/plain;base64,AAAA",
            "data:image/png;base64,@@@",
        ] {
            assert!(EncodedImage::from_data_url(url).is_err(), "{url}");
        }
        let garbage = EncodedImage {
            mime: "image/png".into(),
            bytes: b"not a png".to_vec(),
        };
        let e = garbage.decode("img/1.png").expect_err("garbage");
        assert!(e.to_string().contains("img/1.png"), "{e}");
        let jpeg = EncodedImage {
            mime: "image/jpeg".into(),
            bytes: vec![0xff, 0xd8],
        };
        assert!(jpeg.decode("a.jpg").is_err());
        assert!(Image {
            width: 2,
            height: 2,
            channels: 1,
            data: vec![0; 3]
        }
        .encode_png()
        .is_err());
    }
}
