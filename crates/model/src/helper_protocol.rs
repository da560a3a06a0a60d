//! The wire between the lab and its helper worker: every request and reply
//! as bytes, encoded and decoded here and nowhere else. In the browser the
//! two workers pass these bytes through `postMessage` untouched, so the
//! JavaScript between them knows no field of either.
//!
//! The lab's side wraps whatever carries the bytes (a [`HelperLink`]) in a
//! [`RemoteHelper`], which the session trains and reconstructs with; the
//! helper's side is [`HelperWorker::answer`].

use std::future::Future;
use std::pin::Pin;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::data_parallel::{
    GradientHelper, HalfBatch, HalfGradients, HelperWorker, ReconstructionHelper,
    SharedReconstruction,
};
use crate::reconstruction::Reconstruction;

/// What the lab asks of its helper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Request {
    Gradients(HalfBatch),
    Reconstruct(SharedReconstruction),
}

/// What the helper answers: the work asked for, or why it refused.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    Gradients(HalfGradients),
    /// Each reconstruction with its image, which its record leaves out.
    Reconstructions(Vec<(Reconstruction, Vec<f32>)>),
    Refused(String),
}

pub fn encode(message: &(impl Serialize + ?Sized)) -> Result<Vec<u8>, String> {
    rmp_serde::to_vec(message).map_err(|err| format!("could not encode a message: {err}"))
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> Result<T, String> {
    rmp_serde::from_slice(bytes).map_err(|err| format!("an unreadable {what}: {err}"))
}

impl HelperWorker {
    /// The encoded [`Reply`] to an encoded [`Request`]. A request it cannot
    /// read or refuses is answered with [`Reply::Refused`], never an error.
    pub fn answer(&self, request: &[u8]) -> Vec<u8> {
        let reply = match decode(request, "request") {
            Ok(Request::Gradients(work)) => self
                .gradients(work)
                .map_or_else(Reply::Refused, Reply::Gradients),
            Ok(Request::Reconstruct(work)) => {
                self.reconstruct(work)
                    .map_or_else(Reply::Refused, |results| {
                        Reply::Reconstructions(
                            results
                                .into_iter()
                                .map(|mut result| {
                                    let image = std::mem::take(&mut result.image);
                                    (result, image)
                                })
                                .collect(),
                        )
                    })
            }
            Err(why) => Reply::Refused(why),
        };
        // The refusal's message is plain text, which always encodes.
        encode(&reply).unwrap_or_else(|why| encode(&Reply::Refused(why)).unwrap_or_default())
    }
}

/// Carries an encoded request to a helper elsewhere and resolves to its
/// encoded reply, or to why it could not (a stopped or trapped worker).
pub trait HelperLink {
    type Reply: Future<Output = Result<Vec<u8>, String>> + 'static;

    /// Sends at once, so the helper works while the lab computes its share.
    fn send(&mut self, request: Vec<u8>) -> Self::Reply;
}

/// A helper reached through a [`HelperLink`], for the session.
pub struct RemoteHelper<L>(pub L);

type Answer<T> = Pin<Box<dyn Future<Output = Result<T, String>>>>;

impl<L: HelperLink> RemoteHelper<L> {
    fn ask<T: 'static>(
        &mut self,
        request: Request,
        expect: impl FnOnce(Reply) -> Option<T> + 'static,
    ) -> Answer<T> {
        let sent = encode(&request).map(|bytes| self.0.send(bytes));
        Box::pin(async move {
            match decode(&sent?.await?, "reply")? {
                Reply::Refused(why) => Err(why),
                reply => expect(reply).ok_or_else(|| "it answered another request".to_string()),
            }
        })
    }
}

impl<L: HelperLink> GradientHelper for RemoteHelper<L> {
    type Reply = Answer<HalfGradients>;

    fn start(&mut self, work: HalfBatch) -> Self::Reply {
        self.ask(Request::Gradients(work), |reply| match reply {
            Reply::Gradients(gradients) => Some(gradients),
            _ => None,
        })
    }
}

impl<L: HelperLink> ReconstructionHelper for RemoteHelper<L> {
    type Reply = Answer<Vec<Reconstruction>>;

    fn start(&mut self, work: SharedReconstruction) -> Self::Reply {
        self.ask(Request::Reconstruct(work), |reply| match reply {
            Reply::Reconstructions(results) => Some(
                results
                    .into_iter()
                    .map(|(result, image)| Reconstruction { image, ..result })
                    .collect(),
            ),
            _ => None,
        })
    }
}

/// A link to a [`HelperWorker`] on the calling thread, through the same
/// bytes a worker would receive: what native code and tests use.
pub struct SameThread(pub HelperWorker);

impl HelperLink for SameThread {
    type Reply = std::future::Ready<Result<Vec<u8>, String>>;

    fn send(&mut self, request: Vec<u8>) -> Self::Reply {
        std::future::ready(Ok(self.0.answer(&request)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::block_on;
    use crate::parameters::parameters;
    use crate::{AutoencoderConfig, DecoderKind, IMAGE_LEN};
    use burn::tensor::Device;

    fn model_parameters(kind: DecoderKind) -> Vec<f32> {
        parameters(&AutoencoderConfig::new(kind).init(&Device::flex()))
    }

    fn image() -> Vec<f32> {
        (0..IMAGE_LEN)
            .map(|i| (i * 37 % 255) as f32 / 255.0)
            .collect()
    }

    #[test]
    fn gradients_through_the_wire_are_the_helpers_own() {
        let worker = HelperWorker::new();
        let work = HalfBatch {
            decoder: DecoderKind::Transposed,
            parameters: model_parameters(DecoderKind::Transposed),
            images: [image(), image()].concat(),
        };
        let direct = worker.gradients(work.clone()).unwrap();
        let remote = block_on(GradientHelper::start(
            &mut RemoteHelper(SameThread(worker)),
            work,
        ))
        .unwrap();
        assert_eq!(remote, direct);
    }

    #[test]
    fn reconstructions_through_the_wire_keep_their_images() {
        let worker = HelperWorker::new();
        let work = SharedReconstruction {
            models: [DecoderKind::Upsample, DecoderKind::Transposed]
                .into_iter()
                .map(|kind| (kind, model_parameters(kind)))
                .collect(),
            image: image(),
        };
        let direct = worker.reconstruct(work.clone()).unwrap();
        let remote = block_on(ReconstructionHelper::start(
            &mut RemoteHelper(SameThread(worker)),
            work,
        ))
        .unwrap();
        assert_eq!(remote, direct);
        assert!(remote.iter().all(|result| result.image.len() == IMAGE_LEN));
    }

    #[test]
    fn a_refusal_travels_as_the_helpers_reason() {
        let worker = HelperWorker::new();
        let work = HalfBatch {
            decoder: DecoderKind::Upsample,
            parameters: vec![0.0; 3],
            images: image(),
        };
        let why = block_on(GradientHelper::start(
            &mut RemoteHelper(SameThread(worker)),
            work,
        ))
        .unwrap_err();
        assert!(why.contains("parameters, not 3"), "{why}");
    }

    #[test]
    fn unreadable_bytes_are_refused_not_a_panic() {
        let worker = HelperWorker::new();
        for bytes in [
            &b""[..],
            b"\x00",
            b"\xff\xff\xff",
            &[0x92, 0xa1, b'x', 0xc0],
        ] {
            match decode::<Reply>(&worker.answer(bytes), "reply").unwrap() {
                Reply::Refused(why) => assert!(why.contains("unreadable request"), "{why}"),
                other => panic!("{other:?}"),
            }
        }
    }

    /// A link whose far end answers what was not asked, or garbage.
    struct Answers(Vec<u8>);

    impl HelperLink for Answers {
        type Reply = std::future::Ready<Result<Vec<u8>, String>>;

        fn send(&mut self, _: Vec<u8>) -> Self::Reply {
            std::future::ready(Ok(self.0.clone()))
        }
    }

    #[test]
    fn a_reply_to_another_request_or_garbage_is_an_error() {
        let wrong = encode(&Reply::Reconstructions(Vec::new())).unwrap();
        let work = HalfBatch {
            decoder: DecoderKind::Upsample,
            parameters: Vec::new(),
            images: Vec::new(),
        };
        let why = block_on(GradientHelper::start(
            &mut RemoteHelper(Answers(wrong)),
            work.clone(),
        ))
        .unwrap_err();
        assert_eq!(why, "it answered another request");
        let why = block_on(GradientHelper::start(
            &mut RemoteHelper(Answers(vec![0xc1])),
            work,
        ))
        .unwrap_err();
        assert!(why.contains("unreadable reply"), "{why}");
    }
}
