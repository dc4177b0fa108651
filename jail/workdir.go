package jail

import (
	"fmt"
	"strconv"

	"golang.org/x/sys/unix"
)

// newWorkMount creates a job's work directory: a size-capped tmpfs, owned
// by the job's uid and gid, nosuid, nodev, noexec, that is never attached
// to the host's mount tree. fsopen/fsmount return it as a descriptor of a
// detached mount: the server writes the inputs through it, the init
// attaches it at /work with move_mount inside the job's mount namespace,
// and after the job the server reads the outputs through it. Closing the
// descriptor frees the file system. So no job ever leaves a mount or a
// directory on the host, even if the server crashes (the kernel closes
// the descriptor), and there is no per-job mount, unmount or rmdir cost.
func newWorkMount(sizeBytes int64, uid, gid int) (int, error) {
	fsfd, err := unix.Fsopen("tmpfs", unix.FSOPEN_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("jail: work dir: fsopen: %w", err)
	}
	defer unix.Close(fsfd)
	for _, kv := range [][2]string{
		{"size", strconv.FormatInt(sizeBytes, 10)},
		// Bound the inode count too: empty files cost kernel memory.
		{"nr_inodes", strconv.FormatInt(max(sizeBytes/4096, 1024), 10)},
		{"mode", "0700"},
		{"uid", strconv.Itoa(uid)},
		{"gid", strconv.Itoa(gid)},
	} {
		if err := unix.FsconfigSetString(fsfd, kv[0], kv[1]); err != nil {
			return -1, fmt.Errorf("jail: work dir: %s=%s: %w", kv[0], kv[1], err)
		}
	}
	if err := unix.FsconfigCreate(fsfd); err != nil {
		return -1, fmt.Errorf("jail: work dir: create: %w", err)
	}
	mfd, err := unix.Fsmount(fsfd, unix.FSMOUNT_CLOEXEC, unix.MOUNT_ATTR_NOSUID|unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOEXEC)
	if err != nil {
		return -1, fmt.Errorf("jail: work dir: fsmount: %w", err)
	}
	return mfd, nil
}
