//! Our layers and a file's, side by side: each of ours takes the first of
//! the file's layers, in the file's order, that has its kind and shape.

use std::cmp::Ordering;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor};

use super::{ForeignError, ForeignTensor, Layout};
use crate::decoder::DecoderKind;
use crate::{Autoencoder, AutoencoderConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayerKind {
    Convolution,
    Transposed,
}

/// One of our convolutions, as Burn holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct OurLayer {
    /// Where it sits in the model, e.g. `decoder.deconv1`.
    pub path: String,
    pub kind: LayerKind,
    /// Burn's layout (see the module's table).
    pub kernel: [usize; 4],
    /// Whether Burn visits the bias before the kernel.
    bias_first: bool,
}

/// The decoders a foreign file may load into. The sub-pixel ones are left
/// out until a framework's fixture checks them: their pixel shuffle orders
/// channels one way, and Keras' `depth_to_space` and PyTorch's
/// `PixelShuffle` do not agree on which.
pub(super) const LOADABLE: [DecoderKind; 5] = [
    DecoderKind::Upsample,
    DecoderKind::Transposed,
    DecoderKind::TransposedK4,
    DecoderKind::TransposedHold,
    DecoderKind::Bilinear,
];

/// Every convolution of the autoencoder with `kind`'s decoder, in Burn's
/// visiting order.
pub fn our_layers(kind: DecoderKind) -> Vec<OurLayer> {
    struct Collect {
        path: Vec<(String, String)>,
        layers: Vec<OurLayer>,
    }
    impl ModuleVisitor for Collect {
        fn enter_module(&mut self, name: &str, container_type: &str) {
            // The decoder's enum arm is not a layer of its own: leave it out of paths.
            let name = if container_type.starts_with("Enum:") {
                ""
            } else {
                name
            };
            self.path
                .push((name.to_string(), container_type.to_string()));
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            // The innermost entry is the parameter's own name, with the type of
            // the layer that holds it; the entries above name the layer.
            let layer_path = &self.path[..self.path.len().saturating_sub(1)];
            let path = layer_path
                .iter()
                .map(|(name, _)| name.as_str())
                .filter(|name| !name.is_empty())
                .collect::<Vec<_>>()
                .join(".");
            let kind = match self.path.last().map(|(_, t)| t.as_str()) {
                Some("Struct:ConvTranspose2d") => LayerKind::Transposed,
                _ => LayerKind::Convolution,
            };
            let dims = param.val().dims();
            match self.layers.last_mut().filter(|layer| layer.path == path) {
                Some(layer) if D == 4 => layer.kernel.copy_from_slice(&dims),
                Some(_) => {}
                None => {
                    let mut kernel = [0; 4];
                    if D == 4 {
                        kernel.copy_from_slice(&dims);
                    }
                    self.layers.push(OurLayer {
                        path,
                        kind,
                        kernel,
                        bias_first: D == 1,
                    });
                }
            }
        }
    }
    let model = AutoencoderConfig::new(kind).init(&Device::flex());
    let mut collect = Collect {
        path: Vec::new(),
        layers: Vec::new(),
    };
    model.visit(&mut collect);
    collect.layers
}

/// Every parameter of `model`, in Burn's visiting order (that of the
/// forward pass), named as a PyTorch state dict of it would name it
/// (`encoder.conv1.weight`) and in Burn's layout, which PyTorch shares.
pub(super) fn named_parameters(model: &Autoencoder) -> Vec<ForeignTensor> {
    struct Gather {
        path: Vec<String>,
        tensors: Vec<ForeignTensor>,
    }
    impl ModuleVisitor for Gather {
        fn enter_module(&mut self, name: &str, container_type: &str) {
            // The decoder's enum arm is not a layer: PyTorch would not name it.
            let part = if container_type.starts_with("Enum:") {
                String::new()
            } else {
                name.to_string()
            };
            self.path.push(part);
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            let name = self
                .path
                .iter()
                .filter(|p| !p.is_empty())
                .cloned()
                .collect::<Vec<_>>()
                .join(".");
            let tensor = param.val();
            self.tensors.push(ForeignTensor {
                name,
                shape: tensor.dims().to_vec(),
                values: tensor.into_data().try_into_vec::<f32>().unwrap_or_default(),
                transposed: None,
            });
        }
    }
    let model = model.clone().to_device(&Device::flex());
    let mut gather = Gather {
        path: Vec::new(),
        tensors: Vec::new(),
    };
    model.visit(&mut gather);
    gather.tensors
}

/// A convolution of the file's: its kernel in Burn's layout.
#[derive(Debug)]
pub(super) struct TheirLayer {
    name: String,
    transposed: Option<bool>,
    kernel: [usize; 4],
    weights: Vec<f32>,
    bias: Option<Vec<f32>>,
}

/// The file's tensors as layers, in the file's order: a kernel, then the
/// bias that shares its prefix. Any other tensor is a layer of its own that
/// no decoder has, so it shows up in the reason none fits.
pub(super) fn their_layers(
    tensors: &[ForeignTensor],
    layout: Layout,
) -> Result<Vec<TheirLayer>, ForeignError> {
    let mut ordered: Vec<&ForeignTensor> = tensors.iter().collect();
    ordered.sort_by(|a, b| {
        stage(&a.name)
            .cmp(&stage(&b.name))
            .then_with(|| natural_cmp(prefix(&a.name), prefix(&b.name)))
            .then(b.shape.len().cmp(&a.shape.len()))
    });
    let mut layers: Vec<TheirLayer> = Vec::new();
    for tensor in ordered {
        let joins_last = layers.last().is_some_and(|last| {
            tensor.shape.len() == 1
                && last.bias.is_none()
                && prefix(&last.name) == prefix(&tensor.name)
                && last.kernel[0] > 0
        });
        if joins_last {
            if let Some(last) = layers.last_mut() {
                last.bias = Some(tensor.values.clone());
            }
            continue;
        }
        let (kernel, weights) = match <[usize; 4]>::try_from(tensor.shape.as_slice()) {
            Ok(shape) => to_burn(shape, &tensor.values, layout),
            // Not a kernel: kept with an empty shape so that it fits nothing.
            Err(_) => ([0; 4], Vec::new()),
        };
        layers.push(TheirLayer {
            name: tensor.name.clone(),
            transposed: tensor.transposed,
            kernel,
            weights,
            bias: None,
        });
    }
    Ok(layers)
}

/// `ours`, each given the first unused layer of `theirs` of its kind and
/// shape: the parameters in Burn's visiting order, or how many of ours were
/// matched and why the next was not.
pub(super) fn assign(
    ours: &[OurLayer],
    theirs: &[TheirLayer],
) -> Result<Vec<f32>, (usize, String)> {
    let mut used = vec![false; theirs.len()];
    let mut values = Vec::new();
    for (matched, our) in ours.iter().enumerate() {
        let fits = |their: &TheirLayer| {
            their.kernel == our.kernel
                && their
                    .transposed
                    .is_none_or(|t| t == (our.kind == LayerKind::Transposed))
        };
        let Some(index) = (0..theirs.len()).find(|&i| !used[i] && fits(&theirs[i])) else {
            let next = (0..theirs.len()).find(|&i| !used[i]).map(|i| &theirs[i]);
            return Err((matched, missing(matched, our, next)));
        };
        let their = &theirs[index];
        let Some(bias) = their.bias.as_ref().filter(|b| b.len() == our.kernel_out()) else {
            return Err((
                matched,
                format!(
                    "layer '{}' has no bias of {} values, which our {} has",
                    their.name,
                    our.kernel_out(),
                    our.path
                ),
            ));
        };
        used[index] = true;
        if our.bias_first {
            values.extend_from_slice(bias);
            values.extend_from_slice(&their.weights);
        } else {
            values.extend_from_slice(&their.weights);
            values.extend_from_slice(bias);
        }
    }
    if let Some(extra) = (0..theirs.len()).find(|&i| !used[i]) {
        return Err((
            ours.len(),
            format!(
                "the file has a layer no decoder here has: '{}'",
                theirs[extra].name
            ),
        ));
    }
    Ok(values)
}

impl OurLayer {
    /// Output channels, which the bias has one value for.
    fn kernel_out(&self) -> usize {
        match self.kind {
            LayerKind::Convolution => self.kernel[0],
            LayerKind::Transposed => self.kernel[1],
        }
    }

    fn describe(&self) -> String {
        let [a, b, kh, kw] = self.kernel;
        match self.kind {
            LayerKind::Convolution => format!("convolution {kh}x{kw}, {b} -> {a} channels"),
            LayerKind::Transposed => {
                format!("transposed convolution {kh}x{kw}, {a} -> {b} channels")
            }
        }
    }
}

/// Why our layer number `matched` (0-based) found no partner.
fn missing(matched: usize, our: &OurLayer, next: Option<&TheirLayer>) -> String {
    let wanted = format!(
        "layer {} ({}, {}) needs a kernel of shape {:?} in PyTorch's layout",
        matched + 1,
        our.path,
        our.describe(),
        our.kernel
    );
    match next {
        None => format!("{wanted}; the file has no layers left"),
        Some(their) if their.kernel == [0; 4] => {
            format!(
                "{wanted}; the file's next tensor, '{}', is not a kernel",
                their.name
            )
        }
        Some(their) => format!(
            "{wanted}; the file's next layer, '{}', has {:?}{}",
            their.name,
            their.kernel,
            match their.transposed {
                Some(true) => " (a transposed convolution)",
                Some(false) => " (a convolution)",
                None => "",
            }
        ),
    }
}

/// A kernel in Burn's layout: Keras' `[kh, kw, a, b]` becomes `[b, a, kh, kw]`.
/// Walks the values, not the shape: a file may pair a zero with huge sides.
fn to_burn(shape: [usize; 4], values: &[f32], layout: Layout) -> ([usize; 4], Vec<f32>) {
    let [kh, kw, a, b] = shape;
    match layout {
        Layout::Pytorch => (shape, values.to_vec()),
        Layout::Keras => {
            let mut out = vec![0.0; values.len()];
            for (index, value) in values.iter().enumerate() {
                let (o, rest) = (index % b, index / b);
                let (i, rest) = (rest % a, rest / a);
                let (x, y) = (rest % kw, rest / kw);
                out[((o * a + i) * kh + y) * kw + x] = *value;
            }
            ([b, a, kh, kw], out)
        }
    }
}

/// Where a name's layer sits by its first part: `encoder…` before the
/// rest, `decoder…` after. Safetensors files list tensors by name, and a
/// PyTorch state dict's order is lost to a map, so `decoder.conv1` would
/// otherwise come before `encoder.conv3`, which has the same shape.
fn stage(name: &str) -> u8 {
    let first = name
        .split(['.', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    if first.starts_with("enc") {
        0
    } else if first.starts_with("dec") {
        2
    } else {
        1
    }
}

/// A name without its last part: what a kernel and its bias share
/// (`decoder.0` of `decoder.0.weight`, `layers/conv2d/vars` of `layers/conv2d/vars/0`).
fn prefix(name: &str) -> &str {
    name.rfind(['.', '/']).map_or("", |end| &name[..end])
}

/// Names compared with their numbers as numbers, so `conv2d_10` follows
/// `conv2d_9` and `decoder.10` follows `decoder.9`: the order in which
/// Keras and PyTorch name layers as they are made.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a, b);
    loop {
        match (a.is_empty(), b.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        let digits = |s: &str| s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (da, db) = (digits(a), digits(b));
        let order = if da > 0 && db > 0 {
            let (na, nb) = (
                a[..da].trim_start_matches('0'),
                b[..db].trim_start_matches('0'),
            );
            na.len().cmp(&nb.len()).then_with(|| na.cmp(nb))
        } else {
            let (ca, cb) = (a.chars().next(), b.chars().next());
            ca.cmp(&cb)
        };
        if order != Ordering::Equal {
            return order;
        }
        let step = |s: &str, d: usize| {
            if d > 0 {
                d
            } else {
                s.chars().next().map_or(0, char::len_utf8)
            }
        };
        a = &a[step(a, da)..];
        b = &b[step(b, db)..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_order_by_their_numbers() {
        let mut names = vec!["conv2d_10", "conv2d_2", "conv2d", "decoder.10", "decoder.9"];
        names.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(
            names,
            ["conv2d", "conv2d_2", "conv2d_10", "decoder.9", "decoder.10"]
        );
    }

    #[test]
    fn our_transposed_decoder_has_three_transposed_layers() {
        let layers = our_layers(DecoderKind::Transposed);
        let kinds: Vec<_> = layers.iter().map(|l| l.kind).collect();
        use LayerKind::*;
        assert_eq!(
            kinds,
            [
                Convolution,
                Convolution,
                Convolution,
                Transposed,
                Transposed,
                Transposed,
                Convolution
            ]
        );
        assert_eq!(layers[5].kernel, [8, 16, 3, 3]);
        assert_eq!(layers[0].path, "encoder.conv1");
    }
}
