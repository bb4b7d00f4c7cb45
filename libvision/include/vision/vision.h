/* SPDX-License-Identifier: MIT */
/*
 * Copyright (C) 2026 The vision authors
 *
 * libvision: userspace interface to the vision NPU.
 *
 * Conventions: functions that can fail return 0 (or a count) on success and
 * a negative errno on failure, which vision_strerror() describes. Objects
 * are opaque and come in create/destroy pairs.
 */
#ifndef VISION_VISION_H
#define VISION_VISION_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Exported symbols; everything else in the library is hidden. */
#if defined(__GNUC__)
#define VISION_API __attribute__((visibility("default")))
#else
#define VISION_API
#endif

#define VISION_VERSION_MAJOR 0
#define VISION_VERSION_MINOR 2
#define VISION_VERSION_PATCH 0

/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable with < and >. */
#define VISION_VERSION_NUMBER                                        \
	(VISION_VERSION_MAJOR * 10000 + VISION_VERSION_MINOR * 100 + \
	 VISION_VERSION_PATCH)

/**
 * vision_version_number() - version of the library actually loaded
 *
 * @return: VISION_VERSION_NUMBER of the runtime library, which may differ
 * from the header's when the program was built against another version.
 */
VISION_API unsigned int vision_version_number(void);

/**
 * vision_version_string() - version of the loaded library as "X.Y.Z"
 *
 * @return: a static string.
 */
VISION_API const char *vision_version_string(void);

/**
 * vision_strerror() - describe an error code
 * @err: a negative errno returned by a libvision function (a positive
 *       errno is accepted too)
 *
 * @return: a static, thread-safe string; never NULL.
 */
VISION_API const char *vision_strerror(int err);

/**
 * DOC: thread-safety
 *
 * Devices, buffers and models may be used from several threads at once.
 * A request belongs to one thread at a time. Every object keeps the
 * objects it uses alive, so they may be freed in any order: a model keeps
 * its device open, a request its model and its input buffers.
 */

/**
 * struct vision_device - an open vision accelerator, or the CPU
 *
 * Thread-safety: one device may be used from several threads at once;
 * vision_device_close() must not race with any other use of the same
 * pointer. Buffers, models and requests keep the device open after
 * vision_device_close() until they are freed.
 */
struct vision_device;

/* The device name that selects the CPU, for @path and $VISION_DEVICE. */
#define VISION_DEVICE_CPU "cpu"

/**
 * vision_device_open() - open a vision accelerator
 * @path: device node to open; "cpu" for the CPU, which runs models with
 *        the same engine and the same results; or NULL for $VISION_DEVICE
 *        when set (a node or "cpu"), else the first device whose driver
 *        is "vision" among /dev/accel/accel* then /dev/dri/renderD*
 * @out: receives the device
 *
 * @return: 0; -ENOENT when @path does not exist; -ENODEV when @path is not
 * a vision device, or when discovery finds none; -EACCES without
 * permission; -EINVAL for a NULL @out; -ENOMEM.
 */
VISION_API int vision_device_open(const char *path, struct vision_device **out);

/* Flags of vision_device_open_flags(). */
/* Discovery finding no device (-ENODEV) opens the CPU instead. */
#define VISION_OPEN_FALLBACK_CPU 0x00000001u

/**
 * vision_device_open_flags() - vision_device_open() with options
 * @path: as for vision_device_open()
 * @flags: VISION_OPEN_* bits
 * @out: receives the device
 *
 * With %VISION_OPEN_FALLBACK_CPU, a NULL @path without $VISION_DEVICE
 * opens the CPU when no vision device exists (or none may be opened); an
 * explicit device is never replaced by the CPU.
 *
 * @return: as vision_device_open(); -EINVAL for unknown @flags.
 */
VISION_API int vision_device_open_flags(const char *path, unsigned int flags,
					struct vision_device **out);

/**
 * vision_device_close() - close a device; NULL is a no-op
 * @dev: the device
 */
VISION_API void vision_device_close(struct vision_device *dev);

/**
 * vision_device_path() - device node the device was opened from
 * @dev: the device
 *
 * @return: a string owned by @dev; "cpu" for the CPU.
 */
VISION_API const char *vision_device_path(const struct vision_device *dev);

/**
 * vision_device_fd() - the DRM file descriptor, for polling and PRIME
 * @dev: the device
 *
 * @return: a file descriptor owned by @dev (do not close it); -1 for the
 * CPU.
 */
VISION_API int vision_device_fd(const struct vision_device *dev);

/**
 * vision_device_is_cpu() - whether models run on the CPU
 * @dev: the device
 *
 * @return: 1 for the CPU fallback, 0 for an accelerator.
 */
VISION_API int vision_device_is_cpu(const struct vision_device *dev);

/* Device parameters, see vision_device_get_param(); mirror the kernel's. */
enum vision_param {
	VISION_PARAM_DEVICE_ID = 0, /* accelerator model; 0 for the CPU */
	VISION_PARAM_API_VERSION = 1, /* kernel interface, major<<16 | minor */
	VISION_PARAM_NUM_CORES = 2, /* cores running jobs in parallel */
	VISION_PARAM_CORE_SRAM_SIZE = 3, /* activation memory per core */
	VISION_PARAM_MAX_MODEL_SIZE = 4, /* largest model, bytes */
	VISION_PARAM_INPUT_FORMATS = 5, /* DRM_VISION_FORMAT_* bits */
	VISION_PARAM_CAPABILITIES = 6, /* DRM_VISION_CAP_* bits */
	VISION_PARAM_SIMD_LEVEL = 7, /* DRM_VISION_SIMD_* value */
	VISION_PARAM_MAX_BO_SIZE = 8, /* largest buffer, bytes */
	VISION_PARAM_MAX_JOBS = 9, /* most inputs in one vision_submit() */
	VISION_PARAM_MODEL_MEMORY = 10, /* cap on the bytes of all models */
	VISION_PARAM_COUNT
};

/* VISION_PARAM_DEVICE_ID of the CPU fallback. */
#define VISION_DEVICE_ID_CPU 0

/**
 * vision_device_get_param() - read a device parameter
 * @dev: the device
 * @param: one of enum vision_param
 * @value: receives the value
 *
 * The CPU answers every parameter but the memory limits it does not have
 * (CORE_SRAM_SIZE, MAX_BO_SIZE, MODEL_MEMORY: -EOPNOTSUPP).
 *
 * @return: 0; -EINVAL for an unknown @param or NULL argument; -ENODEV when
 * the device was unplugged; -EOPNOTSUPP as above; another negative errno
 * from the kernel.
 */
VISION_API int vision_device_get_param(struct vision_device *dev,
				       enum vision_param param,
				       uint64_t *value);

/**
 * vision_param_name() - short name of a parameter ("num_cores")
 * @param: one of enum vision_param
 *
 * @return: a static string, or NULL for an unknown @param.
 */
VISION_API const char *vision_param_name(enum vision_param param);

/* ---- buffers ------------------------------------------------------------ */

/**
 * struct vision_bo - a buffer: tensors, camera frames, results
 *
 * On a device a GEM buffer object, shareable as a dma-buf; on the CPU
 * plain memory, or the mapping of an imported dma-buf.
 *
 * Thread-safety: every function may be called from several threads at
 * once; the contents are the caller's to synchronise (vision_bo_wait()).
 */
struct vision_bo;

/* Map write-combined: for buffers the CPU only writes. */
#define VISION_BO_WC 0x00000001u
/* (reported only) the buffer is an imported dma-buf. */
#define VISION_BO_IMPORTED 0x80000000u

/**
 * vision_bo_create() - allocate a zero-filled buffer
 * @dev: the device
 * @size: bytes, rounded up to the page size
 * @flags: %VISION_BO_WC or 0
 * @out: receives the buffer
 *
 * @return: 0; -EINVAL for a zero @size, unknown @flags or NULL argument;
 * -E2BIG above %VISION_PARAM_MAX_BO_SIZE; -ENOMEM; -ENODEV once unplugged.
 */
VISION_API int vision_bo_create(struct vision_device *dev, uint64_t size,
				uint32_t flags, struct vision_bo **out);

/**
 * vision_bo_import_dmabuf() - use a dma-buf (a V4L2 buffer from
 *                             VIDIOC_EXPBUF) as a buffer, without a copy
 * @dev: the device
 * @fd: the dma-buf; not taken over, the caller may close it afterwards
 * @out: receives the buffer
 *
 * Importing the same dma-buf twice gives two references to one buffer.
 * On the CPU the dma-buf is mapped, so it must support mmap().
 *
 * @return: 0; -EBADF for a bad @fd; -EINVAL for a NULL argument or an
 * @fd that is not a dma-buf; -ENOMEM; another negative errno from the
 * kernel.
 */
VISION_API int vision_bo_import_dmabuf(struct vision_device *dev, int fd,
				       struct vision_bo **out);

/**
 * vision_bo_export_dmabuf() - share a buffer as a dma-buf
 * @bo: the buffer
 * @fd: receives a new close-on-exec, read-write dma-buf fd; close() it
 *
 * @return: 0; -EINVAL for a NULL argument; -EOPNOTSUPP for a CPU buffer
 * that was not imported (plain memory is no dma-buf); another negative
 * errno from the kernel.
 */
VISION_API int vision_bo_export_dmabuf(struct vision_bo *bo, int *fd);

/**
 * vision_bo_free() - drop the caller's reference; NULL is a no-op
 * @bo: the buffer
 *
 * The buffer lives on while requests still use it; its mapping goes with
 * the last reference.
 */
VISION_API void vision_bo_free(struct vision_bo *bo);

/**
 * vision_bo_map() - the buffer's memory, mapped read-write
 * @bo: the buffer
 * @ptr: receives the address of byte 0; every call returns the same one
 *
 * Write-combined for a %VISION_BO_WC buffer of a device, cached
 * otherwise. Unmapped by the last vision_bo_free().
 *
 * @return: 0; -EINVAL for a NULL argument; another negative errno from
 * mmap().
 */
VISION_API int vision_bo_map(struct vision_bo *bo, void **ptr);

/**
 * vision_bo_size() - size of a buffer in bytes (page-rounded)
 * @bo: the buffer
 *
 * @return: the size.
 */
VISION_API uint64_t vision_bo_size(const struct vision_bo *bo);

/**
 * vision_bo_flags() - VISION_BO_* flags of a buffer
 * @bo: the buffer
 *
 * @return: the creation flags, plus %VISION_BO_IMPORTED for an import.
 */
VISION_API uint32_t vision_bo_flags(const struct vision_bo *bo);

/**
 * vision_bo_handle() - the GEM handle, for the kernel interface
 * @bo: the buffer
 *
 * @return: the handle in vision_device_fd()'s file; 0 on the CPU.
 */
VISION_API uint32_t vision_bo_handle(const struct vision_bo *bo);

/**
 * vision_bo_wait() - wait until no inference uses a buffer
 * @bo: the buffer
 * @timeout_ns: relative timeout in nanoseconds; 0 polls; negative waits
 *              for ever
 *
 * @return: 0 once idle; -ETIMEDOUT; -EINVAL for a NULL @bo; another
 * negative errno from the kernel. The status of the inference is
 * reported by its request, not here.
 */
VISION_API int vision_bo_wait(struct vision_bo *bo, int64_t timeout_ns);

/* ---- models --------------------------------------------------------------- */

/**
 * struct vision_model - a compiled model (.vnm) ready to run
 *
 * Thread-safety: immutable; may be used by several threads at once,
 * including vision_infer() and vision_submit() in parallel.
 */
struct vision_model;

/* vision_model_error.index when the error is not about one entry. */
#define VISION_MODEL_ERROR_NO_INDEX 0xffffffffu

/**
 * struct vision_model_error - why a model was refused
 * @err: the negative errno also returned
 * @section: where: "file" (opening or reading it), "header", "tensors",
 *           "ops", "const", "input", "outputs", "names", or "device" (the
 *           device refused a valid model: too large for its memory)
 * @index: entry within the section, or %VISION_MODEL_ERROR_NO_INDEX
 * @field: offending member ("shape", "offset"...), or ""
 * @message: the validator's reason, or the system error
 * @text: all of it in one line, e.g. "ops[3].inputs: tensor id out of
 *        range"
 */
struct vision_model_error {
	int err;
	char section[16];
	uint32_t index;
	char field[32];
	char message[96];
	char text[192];
};

/**
 * vision_model_load() - load a model file
 * @dev: the device to run it on
 * @path: the .vnm file
 * @out: receives the model
 * @err: receives the reason on failure; may be NULL
 *
 * The file is read into memory and checked by the same validator the
 * kernel runs, so the reason is precise on every device; then, on an
 * accelerator, loaded into it.
 *
 * @return: 0; -ENOENT, -EACCES, -EISDIR and other errors of open() and
 * read(); -EINVAL for a malformed model; -EOPNOTSUPP for an unsupported
 * version or operator; -E2BIG for a model beyond the format's or the
 * device's limits; -ENOSPC beyond the device's model memory; -ENOMEM.
 */
VISION_API int vision_model_load(struct vision_device *dev, const char *path,
				 struct vision_model **out,
				 struct vision_model_error *err);

/**
 * vision_model_load_memory() - load a model from memory
 * @dev: the device to run it on
 * @data: the model bytes; copied, the caller may free them on return
 * @size: their size
 * @out: receives the model
 * @err: receives the reason on failure; may be NULL
 *
 * @return: as vision_model_load().
 */
VISION_API int vision_model_load_memory(struct vision_device *dev,
					const void *data, size_t size,
					struct vision_model **out,
					struct vision_model_error *err);

/**
 * vision_model_free() - drop the caller's reference; NULL is a no-op
 * @model: the model
 *
 * Requests in flight keep the model until they are freed.
 */
VISION_API void vision_model_free(struct vision_model *model);

/* Element types of struct vision_tensor_info.type. */
#define VISION_TYPE_INT8 1
#define VISION_TYPE_INT32 2

/* Channel order of struct vision_model_info.input_color. */
#define VISION_COLOR_RGB 0
#define VISION_COLOR_BGR 1
#define VISION_COLOR_GREY 2

/**
 * struct vision_model_info - sizes of a model
 * @input_size: bytes of the input tensor a tensor input must have
 * @output_size: bytes of one inference's outputs, all outputs back to
 *               back in output order
 * @model_size: bytes of the model file
 * @arena_size: activation memory, bytes
 * @macs: multiply-accumulates of one inference
 * @num_outputs: number of outputs
 * @num_ops: number of operators (profile entries)
 * @input_color: VISION_COLOR_* the input stage produces from frames
 * @reserved: zero
 */
struct vision_model_info {
	uint64_t input_size;
	uint64_t output_size;
	uint64_t model_size;
	uint64_t arena_size;
	uint64_t macs;
	uint32_t num_outputs;
	uint32_t num_ops;
	uint32_t input_color;
	uint32_t reserved[3];
};

/**
 * vision_model_get_info() - sizes of a model
 * @model: the model
 * @info: receives them
 *
 * @return: 0; -EINVAL for a NULL argument.
 */
VISION_API int vision_model_get_info(const struct vision_model *model,
				     struct vision_model_info *info);

/**
 * struct vision_tensor_info - the input or an output of a model
 * @shape: NHWC dimensions
 * @type: VISION_TYPE_*
 * @zero_point: quantization zero point
 * @scale: quantization scale: real = (q - zero_point) * scale
 * @size: bytes
 * @offset: outputs: byte offset within one inference's outputs; input: 0
 * @num_labels: outputs: class labels, 0 or one per element; input: 0
 * @name: the tensor's name in the model, "" if unnamed; owned by the model
 */
struct vision_tensor_info {
	uint32_t shape[4];
	uint32_t type;
	int32_t zero_point;
	float scale;
	uint32_t num_labels;
	uint64_t size;
	uint64_t offset;
	const char *name;
};

/**
 * vision_model_input() - describe the input tensor
 * @model: the model
 * @info: receives the description
 *
 * @return: 0; -EINVAL for a NULL argument.
 */
VISION_API int vision_model_input(const struct vision_model *model,
				  struct vision_tensor_info *info);

/**
 * vision_model_output() - describe an output tensor
 * @model: the model
 * @index: 0 to num_outputs - 1
 * @info: receives the description
 *
 * @return: 0; -EINVAL for a NULL argument; -ERANGE for a bad @index.
 */
VISION_API int vision_model_output(const struct vision_model *model,
				   unsigned int index,
				   struct vision_tensor_info *info);

/**
 * vision_model_label() - class label of an output element
 * @model: the model
 * @output: output index
 * @index: element index (the class)
 *
 * @return: the label, owned by the model; NULL when the output has no
 * labels or an index is out of range.
 */
VISION_API const char *vision_model_label(const struct vision_model *model,
					  unsigned int output,
					  unsigned int index);

/* ---- inference ------------------------------------------------------------- */

/**
 * struct vision_frame - a camera frame as an input
 * @fourcc: V4L2 pixel format (V4L2_PIX_FMT_*), one of
 *          %VISION_PARAM_INPUT_FORMATS
 * @width: width in pixels
 * @height: height in pixels
 * @num_planes: 1, or 2 for NV12/NV21
 * @offsets: byte offset of each plane from the start of the input memory
 *           or buffer; a single plane leaves offsets[1] zero
 * @strides: bytes per line of each plane; a single plane leaves
 *           strides[1] zero
 * @crop_x: left of the region to use
 * @crop_y: top of the region
 * @crop_width: width of the region; all four crop members zero use the
 *              whole frame
 * @crop_height: height of the region
 *
 * The model's input stage converts, crops, resizes and quantizes it.
 */
struct vision_frame {
	uint32_t fourcc;
	uint32_t width;
	uint32_t height;
	uint32_t num_planes;
	uint64_t offsets[2];
	uint32_t strides[2];
	uint32_t crop_x;
	uint32_t crop_y;
	uint32_t crop_width;
	uint32_t crop_height;
};

/**
 * struct vision_input - what one inference reads
 * @data: the input in memory, copied at submission; NULL with @bo
 * @size: bytes at @data: the model's input_size for a tensor; for a
 *        frame, every byte its planes span
 * @bo: the input in a buffer instead, read in place (zero copy); the
 *      request keeps it alive
 * @offset: tensor in @bo: its byte offset; frame: must be 0 (the frame's
 *          offsets locate its planes)
 * @frame: NULL for a tensor (input_size bytes of the model's input type);
 *         else the camera frame in @data or @bo
 */
struct vision_input {
	const void *data;
	uint64_t size;
	struct vision_bo *bo;
	uint64_t offset;
	const struct vision_frame *frame;
};

/**
 * vision_infer() - run one inference and wait for it
 * @model: the model
 * @input: its input
 * @out: receives the outputs, back to back in output order
 * @out_size: bytes at @out, at least the model's output_size
 *
 * @return: 0; -EINVAL for a NULL argument, wrong sizes or a frame the
 * model cannot read; -EOPNOTSUPP for an unsupported pixel format;
 * -ENOSPC for a short @out; -ETIMEDOUT, -EIO when the device failed the
 * job; -ENODEV once unplugged; -ENOMEM.
 */
VISION_API int vision_infer(struct vision_model *model,
			    const struct vision_input *input, void *out,
			    size_t out_size);

/**
 * struct vision_request - inferences submitted together
 *
 * Thread-safety: one thread at a time; vision_request_fd() may be polled
 * from anywhere.
 */
struct vision_request;

/* Flags of vision_submit(). */
/* Record a per-operator profile, see vision_request_profile(). */
#define VISION_SUBMIT_PROFILE 0x00000001u

/**
 * vision_submit() - start inferences without waiting
 * @model: the model
 * @inputs: @count inputs, one per inference
 * @count: 1 to %VISION_PARAM_MAX_JOBS; all go to the device in one
 *         submission and may run in parallel on its cores
 * @flags: VISION_SUBMIT_* bits
 * @out: receives the request
 *
 * Every input is checked before any inference starts: the call starts
 * all of them or none.
 *
 * @return: 0; -E2BIG for too many inputs; -EINVAL, -EOPNOTSUPP as for
 * vision_infer(); -ENODEV once unplugged; -ENOMEM.
 */
VISION_API int vision_submit(struct vision_model *model,
			     const struct vision_input *inputs,
			     unsigned int count, unsigned int flags,
			     struct vision_request **out);

/**
 * vision_request_fd() - a file descriptor that polls readable (POLLIN)
 *                       once every inference of the request is complete
 * @req: the request
 *
 * For event loops: poll it, then vision_request_wait(req, 0). Owned by
 * the request: do not read, close or keep it past vision_request_free().
 * On a device it is a sync_file.
 *
 * @return: the fd.
 */
VISION_API int vision_request_fd(const struct vision_request *req);

/**
 * vision_request_wait() - wait for every inference of a request
 * @req: the request
 * @timeout_ns: relative timeout in nanoseconds; 0 polls; negative waits
 *              for ever
 *
 * Signals do not cut the wait short.
 *
 * @return: 0 when all succeeded; -ETIMEDOUT when not all are complete in
 * time; else the error of the first failed inference (-ETIMEDOUT as well
 * for one that overran the device's time limit: vision_request_status()
 * tells them apart, -EIO for a device fault, -ENODEV for an unplug).
 */
VISION_API int vision_request_wait(struct vision_request *req,
				   int64_t timeout_ns);

/**
 * vision_request_count() - inferences in a request
 * @req: the request
 *
 * @return: the count given to vision_submit().
 */
VISION_API unsigned int vision_request_count(const struct vision_request *req);

/**
 * vision_request_status() - state of one inference, without waiting
 * @req: the request
 * @index: the inference, 0 to count - 1
 *
 * @return: 0 when it succeeded; -EBUSY while it runs; -ERANGE for a bad
 * @index; its error when it failed.
 */
VISION_API int vision_request_status(struct vision_request *req,
				     unsigned int index);

/**
 * vision_request_output() - the outputs of one completed inference
 * @req: the request
 * @index: the inference
 * @data: receives the address of its outputs (output_size bytes, back to
 *        back in output order), valid until vision_request_free()
 * @size: receives output_size; may be NULL
 *
 * @return: 0; -EBUSY while it runs; -ERANGE for a bad @index; its error
 * when it failed.
 */
VISION_API int vision_request_output(struct vision_request *req,
				     unsigned int index, const void **data,
				     size_t *size);

/**
 * struct vision_profile_op - one operator of a profile
 * @name: the layer's name in the model, or its type when unnamed
 * @type: operator type ("conv_2d", "fully_connected"...)
 * @ns: time it took, nanoseconds
 * @cycles: device cycles; the virtual NPU and the CPU count one per
 *          multiply-accumulate or element operation
 */
struct vision_profile_op {
	const char *name;
	const char *type;
	uint64_t ns;
	uint64_t cycles;
};

/**
 * struct vision_profile - where the time of one inference went
 * @core: the core that ran it (0 on the CPU)
 * @num_ops: entries in @ops, in execution order
 * @queue_ns: from submission to start
 * @input_ns: input stage or input copy
 * @total_ns: from start to completion
 * @ops: per operator; owned by the request
 */
struct vision_profile {
	uint32_t core;
	uint32_t num_ops;
	uint64_t queue_ns;
	uint64_t input_ns;
	uint64_t total_ns;
	const struct vision_profile_op *ops;
};

/**
 * vision_request_profile() - the profile of one completed inference
 * @req: a request submitted with %VISION_SUBMIT_PROFILE
 * @index: the inference
 * @profile: receives the profile, valid until vision_request_free()
 *
 * @return: 0; -ENODATA without %VISION_SUBMIT_PROFILE; otherwise as
 * vision_request_output().
 */
VISION_API int vision_request_profile(struct vision_request *req,
				      unsigned int index,
				      struct vision_profile *profile);

/**
 * vision_request_free() - free a request; NULL is a no-op
 * @req: the request
 *
 * An unfinished request may be freed: on a device its inferences complete
 * in the background, on the CPU those not yet started are dropped and a
 * running one is waited for.
 */
VISION_API void vision_request_free(struct vision_request *req);

/* ---- results --------------------------------------------------------------- */

/**
 * vision_dequantize() - int8 values to real numbers
 * @in: @count quantized values
 * @count: number of values
 * @zero_point: their zero point
 * @scale: their scale
 * @out: receives (in[i] - zero_point) * scale, as float
 *
 * @return: 0; -EINVAL for NULL pointers with a non-zero @count.
 */
VISION_API int vision_dequantize(const int8_t *in, size_t count,
				 int32_t zero_point, float scale, float *out);

/**
 * vision_top_k() - indices of the @k largest values
 * @values: @count int8 values (an output; its scale is positive, so the
 *          order is that of the real values)
 * @count: number of values
 * @k: how many to return
 * @indices: receives min(@k, @count) indices: largest value first, equal
 *           values by increasing index, so the order is always the same
 *
 * @return: the number of indices written; -EINVAL for NULL pointers with
 * a non-zero @count and @k.
 */
VISION_API int vision_top_k(const int8_t *values, size_t count, unsigned int k,
			    uint32_t *indices);

/* ---- camera ---------------------------------------------------------------- */

/**
 * struct vision_camera - a V4L2 capture device streaming into a device
 * Thread-safety: one thread at a time; vision_camera_fd() may be polled
 * from anywhere. The camera keeps its vision_device open.
 */
struct vision_camera;

/**
 * enum vision_camera_path - how frames reach the device, best first
 * @VISION_CAMERA_ZERO_COPY: the camera's own buffers, exported once each
 *                           (VIDIOC_EXPBUF) and imported as dma-bufs; the
 *                           device reads the frame where the camera wrote it
 * @VISION_CAMERA_DMABUF: the device's buffers, exported and queued to the
 *                        camera (V4L2_MEMORY_DMABUF); the camera writes
 *                        into the device's memory
 * @VISION_CAMERA_COPY: the CPU copies each frame into a device buffer
 */
enum vision_camera_path {
	VISION_CAMERA_ZERO_COPY = 1,
	VISION_CAMERA_DMABUF = 2,
	VISION_CAMERA_COPY = 3,
};

/* Flags of struct vision_camera_config: skip paths (testing, broken drivers). */
#define VISION_CAMERA_NO_ZERO_COPY 0x00000001u
#define VISION_CAMERA_NO_DMABUF 0x00000002u

/**
 * struct vision_camera_config - what to ask of the camera
 * @fourcc: V4L2 pixel format; 0 picks the first format the camera offers
 *          that the device's input stage reads
 * @width: frame width; 0 keeps the camera's current width
 * @height: frame height; 0 keeps the camera's current height
 * @num_buffers: buffers to stream with, 2 to 32; 0 for 4 (the camera
 *               may take more, up to 32)
 * @timeout_ms: a frame not delivered within this time is a stall
 *              (-ETIMEDOUT); 0 for 2000
 * @flags: VISION_CAMERA_* bits
 * @reserved: zero
 * The camera may adjust @width and @height (V4L2 rules); read the result
 * with vision_camera_format().
 */
struct vision_camera_config {
	uint32_t fourcc;
	uint32_t width;
	uint32_t height;
	uint32_t num_buffers;
	uint32_t timeout_ms;
	uint32_t flags;
	uint32_t reserved[4];
};

/**
 * vision_camera_open() - open a camera, negotiate a format, map buffers
 * @dev: the device frames go to (an accelerator or the CPU)
 * @path: V4L2 capture node, e.g. "/dev/video0" (single-planar API)
 * @config: what to ask for; NULL for defaults
 * @out: receives the camera, not yet streaming
 * The best path the camera, the device and @config flags allow is chosen
 * here; see vision_camera_path().
 * @return: 0; -ENOENT, -EACCES from open(); -ENODEV when @path is not a
 * streaming video capture device; -EOPNOTSUPP when the camera offers no
 * format the device reads, or not @config's fourcc; -EINVAL for bad
 * @config values or non-zero reserved fields; -ENOMEM; another negative
 * errno from V4L2 or the device.
 */
VISION_API int vision_camera_open(struct vision_device *dev, const char *path,
				  const struct vision_camera_config *config,
				  struct vision_camera **out);

/**
 * vision_camera_close() - stop streaming and close; NULL is a no-op
 * @cam: the camera
 * Waits until no inference reads its buffers.
 */
VISION_API void vision_camera_close(struct vision_camera *cam);

/**
 * vision_camera_format() - the negotiated format
 * @cam: the camera
 * @frame: receives fourcc, size, planes, offsets and strides, crop zero
 * @return: 0; -EINVAL for a NULL argument.
 */
VISION_API int vision_camera_format(const struct vision_camera *cam,
				    struct vision_frame *frame);

/**
 * vision_camera_path() - how frames reach the device
 * @cam: the camera
 * @return: an enum vision_camera_path value.
 */
VISION_API enum vision_camera_path
vision_camera_path(const struct vision_camera *cam);

/**
 * vision_camera_path_name() - "zero-copy", "dmabuf" or "copy"
 * @path: an enum vision_camera_path value
 * @return: a static string; "unknown" for other values.
 */
VISION_API const char *vision_camera_path_name(enum vision_camera_path path);

/**
 * vision_camera_fd() - the V4L2 file descriptor
 * @cam: the camera
 * Polls readable when a frame is ready; for controls (VIDIOC_S_CTRL)
 * too. Owned by the camera.
 * @return: the fd.
 */
VISION_API int vision_camera_fd(const struct vision_camera *cam);

/**
 * vision_camera_start() - queue every buffer and start streaming
 * @cam: the camera
 * @return: 0 (also when already streaming); -ENODEV when the camera was
 * unplugged; another negative errno from V4L2.
 */
VISION_API int vision_camera_start(struct vision_camera *cam);

/**
 * vision_camera_stop() - stop streaming; frames held are released
 * @cam: the camera
 * Waits until no inference reads its buffers; frames from
 * vision_camera_dequeue() are invalid afterwards.
 * @return: 0 (also when not streaming, or unplugged); a negative errno
 * from V4L2.
 */
VISION_API int vision_camera_stop(struct vision_camera *cam);

/**
 * struct vision_camera_frame - one captured frame
 * @input: ready for vision_infer() or vision_submit(): the frame's buffer
 *         and @frame; the request keeps the buffer alive
 * @frame: the frame's format; @input.frame points here. Set its crop
 *         members to use a region
 * @data: the frame's bytes, mapped for the CPU to read (no copy is made)
 * @bytesused: bytes of the frame at @data
 * @index: the V4L2 buffer index
 * @sequence: the camera's frame counter; a gap is a dropped frame
 * @timestamp_ns: when the camera captured it, CLOCK_MONOTONIC
 */
struct vision_camera_frame {
	struct vision_input input;
	struct vision_frame frame;
	const void *data;
	uint64_t bytesused;
	uint32_t index;
	uint32_t sequence;
	uint64_t timestamp_ns;
};

/**
 * vision_camera_dequeue() - the next captured frame
 * @cam: a streaming camera
 * @out: receives the frame, owned by the camera until requeued
 * Waits up to the configured timeout; EINTR is retried. Hold few frames:
 * the camera captures only into buffers it has back. Capture goes on
 * while the caller runs inferences on frames it holds (pipelining).
 * @return: 0; -ETIMEDOUT when the camera delivered no frame in time (a
 * stall); -ENODEV when the camera was unplugged; -EAGAIN when the caller
 * holds every buffer; -EINVAL when not streaming; -EIO for a frame the
 * camera marked as corrupt (it is requeued); another negative errno.
 */
VISION_API int vision_camera_dequeue(struct vision_camera *cam,
				     struct vision_camera_frame **out);

/**
 * vision_camera_requeue() - give a frame's buffer back to the camera
 * @cam: the camera
 * @frame: a frame from vision_camera_dequeue()
 * First waits until no inference reads the buffer, so the camera never
 * overwrites a frame in use.
 * @return: 0; -EINVAL for a frame that is not held; -ENODEV when the
 * camera was unplugged; another negative errno.
 */
VISION_API int vision_camera_requeue(struct vision_camera *cam,
				     struct vision_camera_frame *frame);

/**
 * struct vision_camera_stats - counters since vision_camera_open()
 * @frames: frames dequeued
 * @dropped: frames the camera skipped (sequence gaps)
 * @copied_bytes: bytes the CPU copied; zero on the zero-copy and dmabuf
 *                paths
 * @imports: dma-buf imports into the device; one per buffer on the
 *           zero-copy path, made at open and never per frame
 * @reserved: zero
 */
struct vision_camera_stats {
	uint64_t frames;
	uint64_t dropped;
	uint64_t copied_bytes;
	uint64_t imports;
	uint64_t reserved[4];
};

/**
 * vision_camera_get_stats() - counters of a camera
 * @cam: the camera
 * @stats: receives them
 * @return: 0; -EINVAL for a NULL argument.
 */
VISION_API int vision_camera_get_stats(const struct vision_camera *cam,
				       struct vision_camera_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* VISION_VISION_H */
