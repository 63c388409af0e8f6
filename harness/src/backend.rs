//! The tensor backend of socbench: burn's run-time [`Dispatch`](burn::Dispatch) backend, so every
//! numeric routine is written once and runs on whichever device it is handed (flex or ndarray on
//! the CPU, burn-cuda on a GPU with the `cuda` feature), with or without autodiff. See
//! `docs/backends.md` for why flex is the CPU default and why burn is pinned to 0.21.

use burn::prelude::Backend;

/// The backend type every tensor in socbench uses.
pub type B = burn::Dispatch;
/// A device of [`B`]: which concrete backend runs, and whether it records gradients.
pub type Device = burn::DispatchDevice;

/// The default CPU device (burn-flex; chosen by measurement, see `docs/backends.md`).
pub fn flex() -> Device {
    Device::Flex(burn::backend::flex::FlexDevice)
}

/// The burn-ndarray CPU device (kept for the backend benchmark).
pub fn ndarray() -> Device {
    Device::NdArray(Default::default())
}

/// The first CUDA device (only with the `cuda` feature of the harness).
#[cfg(feature = "cuda")]
pub fn cuda() -> Device {
    Device::Cuda(Default::default())
}

/// The same device with gradient recording (burn's autodiff decorator).
pub fn autodiff(device: &Device) -> Device {
    match device {
        Device::Autodiff(_) => device.clone(),
        _ => Device::autodiff(device.clone()),
    }
}

/// The device under the autodiff decorator, or `device` itself if it has none.
pub fn without_autodiff(device: &Device) -> &Device {
    match device {
        Device::Autodiff(inner) => inner,
        _ => device,
    }
}

/// Seeds the device's RNG (used for parameter initialisation).
pub fn seed(device: &Device, seed: u64) {
    B::seed(device, seed)
}

/// A short, human-readable backend name for manifests and reports (`flex`, `cuda`, `autodiff<flex>` …).
pub fn name(device: &Device) -> String {
    B::name(device)
}

/// Names accepted by [`by_name`].
pub fn device_names() -> &'static [&'static str] {
    if cfg!(feature = "cuda") {
        &["flex", "ndarray", "cuda"]
    } else {
        &["flex", "ndarray"]
    }
}

/// The default device: `cuda` when built with the `cuda` feature and an NVIDIA GPU is present
/// ([`gpu_present`]), `flex` otherwise.
pub fn default_name() -> &'static str {
    if cfg!(feature = "cuda") && gpu_present() {
        "cuda"
    } else {
        "flex"
    }
}

/// Whether the NVIDIA driver's device files are there (`/dev/nvidia0` or `/dev/nvidiactl`).
pub fn gpu_present() -> bool {
    ["/dev/nvidia0", "/dev/nvidiactl"]
        .iter()
        .any(|p| std::path::Path::new(p).exists())
}

/// A device by name (`flex`, `ndarray`, `cuda`); the error names the field and the choices.
pub fn by_name(name: &str) -> Result<Device, crate::error::TargetError> {
    match name {
        "flex" => Ok(flex()),
        "ndarray" => Ok(ndarray()),
        // Without a GPU, burn-cuda panics at the first kernel: refuse the name up front.
        #[cfg(feature = "cuda")]
        "cuda" if !gpu_present() => Err(crate::error::TargetError::OutOfRange {
            field: "device",
            value: name.to_string(),
            range: "flex or ndarray: this machine has no NVIDIA GPU (no /dev/nvidia0)".into(),
        }),
        #[cfg(feature = "cuda")]
        "cuda" => Ok(cuda()),
        _ => Err(crate::error::TargetError::OutOfRange {
            field: "device",
            value: name.to_string(),
            range: format!(
                "one of {}{}",
                device_names().join(", "),
                if cfg!(feature = "cuda") {
                    ""
                } else {
                    " (cuda needs `--features cuda`)"
                }
            ),
        }),
    }
}
