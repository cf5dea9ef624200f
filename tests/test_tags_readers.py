"""How many files the Tags job reads at once: few from this computer's disks (reading a
tag is Python work that takes the window's turns), more from a network share (each file
waits on the network)."""

from __future__ import annotations

from pathlib import Path

from ratings_gui.tags.files import (
    LOCAL_READERS,
    NETWORK_READERS,
    mount_fs_type,
    on_network_share,
    readers_for,
)

# /proc/mounts of a Linux box with a NAS mounted twice (SMB and NFS) and a folder name
# with a space, as the kernel lists it (a space is \040).
MOUNTS = """\
/dev/nvme0n1p2 / ext4 rw,relatime,errors=remount-ro 0 0
proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077,dmask=0077 0 0
//nas.local/music /mnt/music cifs rw,relatime,vers=3.1.1,cache=strict,uid=1000,soft 0 0
nas.local:/volume1/flac /media/flac nfs4 rw,relatime,vers=4.1,rsize=131072,proto=tcp 0 0
/dev/sdb1 /mnt/music/local\\040disk ext4 rw,relatime 0 0
me@box:/srv/audio /home/me/remote sshfs rw,nosuid,nodev,relatime,user_id=1000 0 0
"""


def test_the_mount_that_holds_a_path_is_the_longest_one_above_it() -> None:
    assert mount_fs_type("/mnt/music/Artist/Album/01.flac", MOUNTS) == "cifs"
    assert mount_fs_type("/mnt/music", MOUNTS) == "cifs"
    assert mount_fs_type("/media/flac/A/b.flac", MOUNTS) == "nfs4"
    # a disk mounted inside the share, its name with a space
    assert mount_fs_type("/mnt/music/local disk/x.mp3", MOUNTS) == "ext4"
    # a folder whose name only starts like a mount point is not inside it
    assert mount_fs_type("/mnt/musicbox/x.mp3", MOUNTS) == "ext4"
    assert mount_fs_type("/home/me/Music/x.mp3", MOUNTS) == "ext4"
    assert mount_fs_type("/x", "") is None


def test_network_shares_are_told_from_this_computers_disks(tmp_path: Path) -> None:
    assert on_network_share("/mnt/music/Artist", MOUNTS)
    assert on_network_share("/media/flac", MOUNTS)
    assert on_network_share("/home/me/remote/a.mp3", MOUNTS)
    assert not on_network_share("/mnt/music/local disk", MOUNTS)
    assert not on_network_share("/home/me/Music", MOUNTS)
    # UNC paths are another machine's, whatever this computer is
    assert on_network_share("\\\\nas\\music\\Artist")
    assert on_network_share("//nas/music")
    # this computer's temp folder, by this computer's own mount list
    assert not on_network_share(str(tmp_path))


def test_readers_follow_where_the_files_are(tmp_path: Path) -> None:
    assert LOCAL_READERS < NETWORK_READERS
    assert readers_for([str(tmp_path)]) == LOCAL_READERS
    assert readers_for([str(tmp_path), "\\\\nas\\music"]) == NETWORK_READERS
    assert readers_for([]) == LOCAL_READERS
