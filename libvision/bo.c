// SPDX-License-Identifier: MIT
/*
 * Copyright (C) 2026 The vision authors
 *
 * Buffers: GEM objects of the device, or memory on the CPU; dma-buf
 * import and export; mapping; waiting for the inferences using them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <linux/magic.h>
#include <xf86drm.h>

#include "vision_accel.h"
#include "internal.h"

struct vision_bo *vis_bo_get(struct vision_bo *bo)
{
	__atomic_add_fetch(&bo->refs, 1, __ATOMIC_RELAXED);
	return bo;
}

void vis_gem_close(struct vision_device *dev, uint32_t handle)
{
	struct drm_gem_close args = { .handle = handle };

	if (handle)
		vis_ioctl(dev->fd, DRM_IOCTL_GEM_CLOSE, &args);
}

static struct vision_bo *vis_bo_alloc(struct vision_device *dev)
{
	struct vision_bo *bo = calloc(1, sizeof(*bo));

	if (!bo)
		return NULL;
	bo->refs = 1;
	bo->dev = vis_device_get(dev);
	bo->dmabuf_fd = -1;
	pthread_mutex_init(&bo->map_lock, NULL);
	return bo;
}

/* Publish @bo in the device's list; the caller holds dev->lock. */
static void vis_bo_link(struct vision_bo *bo)
{
	bo->next = bo->dev->bos;
	bo->dev->bos = bo;
}

static void vis_bo_destroy(struct vision_bo *bo)
{
	struct vision_device *dev = bo->dev;

	if (bo->map)
		munmap(bo->map, bo->size);
	if (bo->dmabuf_fd >= 0)
		close(bo->dmabuf_fd);
	pthread_mutex_destroy(&bo->map_lock);
	free(bo);
	vis_device_put(dev);
}

void vision_bo_free(struct vision_bo *bo)
{
	struct vision_device *dev;
	struct vision_bo **p;

	if (!bo)
		return;
	dev = bo->dev;
	/*
	 * The last reference goes under the lock, with the unlink and the
	 * handle's close: an import racing with us either finds the BO alive
	 * or gets a fresh handle, never a dying one.
	 */
	pthread_mutex_lock(&dev->lock);
	if (__atomic_sub_fetch(&bo->refs, 1, __ATOMIC_ACQ_REL)) {
		pthread_mutex_unlock(&dev->lock);
		return;
	}
	for (p = &dev->bos; *p; p = &(*p)->next) {
		if (*p == bo) {
			*p = bo->next;
			break;
		}
	}
	if (!dev->cpu)
		vis_gem_close(dev, bo->handle);
	pthread_mutex_unlock(&dev->lock);
	vis_bo_destroy(bo);
}

static uint64_t vis_page_round(uint64_t size)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);

	return (size + page - 1) / page * page;
}

int vision_bo_create(struct vision_device *dev, uint64_t size, uint32_t flags,
		     struct vision_bo **out)
{
	struct drm_vision_bo_create args = { .size = size, .flags = flags };
	struct vision_bo *bo;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev || !size || (flags & ~VISION_BO_WC))
		return -EINVAL;
	if (size > UINT64_MAX / 2)
		return -E2BIG;
	bo = vis_bo_alloc(dev);
	if (!bo)
		return -ENOMEM;
	bo->flags = flags;

	if (dev->cpu) {
		/* Anonymous memory: zero-filled and page-rounded like GEM. */
		bo->size = vis_page_round(size);
		bo->map = mmap(NULL, bo->size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (bo->map == MAP_FAILED) {
			bo->map = NULL;
			vis_bo_destroy(bo);
			return -ENOMEM;
		}
	} else {
		ret = vis_ioctl(dev->fd, DRM_IOCTL_VISION_BO_CREATE, &args);
		if (ret) {
			vis_bo_destroy(bo);
			return ret;
		}
		bo->handle = args.handle;
		bo->mmap_offset = args.mmap_offset;
		bo->size = vis_page_round(size);
	}
	pthread_mutex_lock(&dev->lock);
	vis_bo_link(bo);
	pthread_mutex_unlock(&dev->lock);
	*out = bo;
	return 0;
}

static int vis_bo_import_cpu(struct vision_bo *bo, int fd)
{
	struct statfs sfs;
	off_t end;

	if (fstatfs(fd, &sfs))
		return -errno;
	if (sfs.f_type != DMA_BUF_MAGIC)
		return -EINVAL;
	end = lseek(fd, 0, SEEK_END);
	if (end <= 0)
		return end < 0 ? -errno : -EINVAL;
	bo->size = (uint64_t)end;
	bo->dmabuf_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (bo->dmabuf_fd < 0)
		return -errno;
	bo->map = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bo->dmabuf_fd, 0);
	/* A dma-buf exported read-only still maps for reading. */
	if (bo->map == MAP_FAILED)
		bo->map = mmap(NULL, bo->size, PROT_READ, MAP_SHARED,
			       bo->dmabuf_fd, 0);
	if (bo->map == MAP_FAILED) {
		bo->map = NULL;
		return -errno;
	}
	return 0;
}

/* Called with dev->lock held, so that handle lookup and use are atomic. */
static int vis_bo_import_device(struct vision_device *dev, int fd,
				struct vision_bo **out)
{
	struct drm_prime_handle prime = { .fd = fd };
	struct drm_vision_bo_info info = { 0 };
	struct vision_bo *bo;
	int ret;

	ret = vis_ioctl(dev->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime);
	if (ret)
		return ret;
	/* One of ours (or imported before): the file has one handle. */
	for (bo = dev->bos; bo; bo = bo->next) {
		if (bo->handle == prime.handle) {
			*out = vis_bo_get(bo);
			return 0;
		}
	}
	info.handle = prime.handle;
	ret = vis_ioctl(dev->fd, DRM_IOCTL_VISION_BO_INFO, &info);
	if (ret) {
		vis_gem_close(dev, prime.handle);
		return ret;
	}
	bo = vis_bo_alloc(dev);
	if (!bo) {
		vis_gem_close(dev, prime.handle);
		return -ENOMEM;
	}
	bo->handle = prime.handle;
	bo->size = info.size;
	bo->mmap_offset = info.mmap_offset;
	bo->flags = info.flags & (VISION_BO_WC | VISION_BO_IMPORTED);
	vis_bo_link(bo);
	*out = bo;
	return 0;
}

int vision_bo_import_dmabuf(struct vision_device *dev, int fd,
			    struct vision_bo **out)
{
	struct vision_bo *bo;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!dev)
		return -EINVAL;
	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;

	if (!dev->cpu) {
		pthread_mutex_lock(&dev->lock);
		ret = vis_bo_import_device(dev, fd, out);
		pthread_mutex_unlock(&dev->lock);
		return ret;
	}
	bo = vis_bo_alloc(dev);
	if (!bo)
		return -ENOMEM;
	bo->flags = VISION_BO_IMPORTED;
	ret = vis_bo_import_cpu(bo, fd);
	if (ret) {
		vis_bo_destroy(bo);
		return ret;
	}
	pthread_mutex_lock(&dev->lock);
	vis_bo_link(bo);
	pthread_mutex_unlock(&dev->lock);
	*out = bo;
	return 0;
}

int vision_bo_export_dmabuf(struct vision_bo *bo, int *fd)
{
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };
	int ret;

	if (!bo || !fd)
		return -EINVAL;
	*fd = -1;
	if (bo->dev->cpu) {
		if (bo->dmabuf_fd < 0)
			return -EOPNOTSUPP;
		*fd = fcntl(bo->dmabuf_fd, F_DUPFD_CLOEXEC, 0);
		return *fd < 0 ? -errno : 0;
	}
	prime.handle = bo->handle;
	ret = vis_ioctl(bo->dev->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime);
	if (ret)
		return ret;
	*fd = prime.fd;
	return 0;
}

int vision_bo_map(struct vision_bo *bo, void **ptr)
{
	void *p;
	int ret = 0;

	if (!bo || !ptr)
		return -EINVAL;
	pthread_mutex_lock(&bo->map_lock);
	if (!bo->map) {
		p = mmap(NULL, bo->size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 bo->dev->fd, (off_t)bo->mmap_offset);
		if (p == MAP_FAILED)
			ret = -errno;
		else
			bo->map = p;
	}
	*ptr = bo->map;
	pthread_mutex_unlock(&bo->map_lock);
	return ret;
}

uint64_t vision_bo_size(const struct vision_bo *bo)
{
	return bo->size;
}

uint32_t vision_bo_flags(const struct vision_bo *bo)
{
	return bo->flags;
}

uint32_t vision_bo_handle(const struct vision_bo *bo)
{
	return bo->handle;
}

int vision_bo_wait(struct vision_bo *bo, int64_t timeout_ns)
{
	struct drm_vision_bo_wait args = { 0 };
	struct vision_device *dev;
	int64_t deadline;
	int ret = 0;

	if (!bo)
		return -EINVAL;
	dev = bo->dev;
	deadline = vis_deadline(timeout_ns);
	if (!dev->cpu) {
		args.handle = bo->handle;
		args.timeout_ns = deadline < 0 ? INT64_MAX : deadline;
		ret = vis_ioctl(dev->fd, DRM_IOCTL_VISION_BO_WAIT, &args);
		/* The kernel says ETIME on some paths; one code for callers. */
		return ret == -ETIME ? -ETIMEDOUT : ret;
	}
	pthread_mutex_lock(&dev->lock);
	while (bo->busy && !ret)
		ret = vis_cond_wait_until(&dev->idle_cond, &dev->lock,
					  deadline);
	if (!bo->busy)
		ret = 0;
	pthread_mutex_unlock(&dev->lock);
	return ret;
}
