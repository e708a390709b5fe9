/* Kernel leases of the local back end (backend_ops.lease).
 *
 * A delegation lets an NFS client cache a file; a process on the server
 * host that changes it (or, under a write delegation, reads it) would
 * otherwise go unnoticed.  So while a delegation is out the file carries a
 * kernel lease (fcntl F_SETLEASE), held on a descriptor of the file's cache
 * entry (local_fd.c): a host process whose open(2) or truncate(2)
 * conflicts then waits in the kernel, and the kernel signals us first.
 *
 * How a break reaches the delegation layer: the lease descriptor has
 * F_SETSIG set to a real-time signal, and F_SETOWN_EX points it at one
 * thread of the export (started with the first lease), which blocks the
 * signal and reads it through a signalfd; siginfo carries the descriptor,
 * which maps back to the leased entry and its handle, and the thread calls
 * the export's break function with no lock held.  If the real-time queue
 * overflows the kernel sends SIGIO instead, without the descriptor: the
 * thread then asks every leased descriptor (F_GETLEASE reports the type a
 * lease is being broken to) and reports each one being broken.
 *
 * The break function is expected to recall the delegation and drop the
 * lease (lease NONE) when it comes back or is revoked.  That must happen
 * within /proc/sys/fs/lease-break-time (45 s by default): after that the
 * kernel removes the lease itself and lets the host process go ahead,
 * whatever the client still caches.  A break function may be called more
 * than once for one break (a write lease first downgraded, then removed;
 * the SIGIO scan).
 *
 * Kinds of lease:
 *   READ: on the entry's O_RDONLY data descriptor.  The kernel refuses it
 *     (EAGAIN) while anyone, the server included, has the file open for
 *     writing; the server's write descriptors are short-lived (local_io.c)
 *     so that they do not stand in the way.  The server's own reads do not
 *     break it; a write through the server opens O_WRONLY|O_NONBLOCK, which
 *     breaks it and fails at once (-EAGAIN: NFS4ERR_DELAY) instead of
 *     waiting for ourselves.
 *   WRITE: needs the file open nowhere else at all, not even by the
 *     cache's O_RDONLY descriptor, which is closed first (only when no
 *     other thread holds the entry: otherwise -EAGAIN).  It is held on an
 *     O_RDWR descriptor that becomes the entry's data descriptor, so every
 *     read, write, truncate and COMMIT through the server uses it and
 *     never breaks the lease.
 * Changing READ to WRITE or back drops the lease and takes the other: the
 * kernel keeps a write lease only on a descriptor open for writing and a
 * read lease only where nothing is, so one descriptor cannot do both.
 *
 * What a lease covers: open(2) of the file by a host process (for writing
 * under a read lease, any open under a write lease) and truncate(2) by
 * path.  What it does not: a process that had the file open before the
 * lease (it is refused then only if it had it open in a conflicting way:
 * a reader of a read-leased file keeps reading, which is harmless), and
 * such a process's mmap, reads and writes through an existing descriptor;
 * rename, unlink, link and chmod on the host (the kernel breaks only
 * nfsd's own delegations for those: local_watch.c reports them after the
 * fact through the same break function); other NFS clients of this server
 * (the delegation layer recalls for them); files of other mounts.  Leases need
 * CAP_LEASE (or owning the file): without it every lease is -ENOTSUP, as on
 * a file system without leases or with /proc/sys/fs/leases-enable 0.
 *
 * What a lease costs: two descriptors for as long as it is held (the
 * entry's O_PATH descriptor, which the lease's reference keeps in the
 * cache, and the data descriptor the lease is on).  A client holding
 * thousands of files open, each delegated, would take every descriptor
 * the process has, and then OPENs (and new connections) would fail.  So
 * leased files, those of every export together, may hold at most half of
 * the descriptor limit (RLIMIT_NOFILE, read at each new lease): a lease
 * past that is refused with -EMFILE, and the file is opened without a
 * delegation.
 *
 * Across an in-place upgrade: a lease belongs to the open file
 * description, not to the process, so it lives on in the ferryd an
 * upgrade starts, which receives duplicates of the descriptors
 * (local_lease_list) and makes them its own (local_lease_adopt): break
 * signals go to its lease thread from then on (F_SETOWN_EX), the lease is
 * taken again through its descriptor (the kernel's signal carries the
 * number the lease was last taken through, the old process's until then),
 * its host changes are watched by its own fanotify group, and a break that
 * began before all that is reported at once, and so is a change the old
 * process listed the file before (its ctime then goes with the lease).
 * The old process forgets its leases without dropping them
 * (local_lease_leave).
 *
 * The lease signal and SIGIO are set to be ignored process-wide when they
 * have no handler: between F_SETLEASE and F_SETOWN_EX the kernel points a
 * new lease at the whole process, and a break signalled in that window
 * would otherwise kill it; right after F_SETOWN_EX the lease is checked
 * again so such a break is not lost.  Signals sent to the lease thread,
 * which blocks them, are queued whatever the disposition. */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backend/local/local_internal.h"
#include "core/log.h"

/* SIGRTMIN plus this: low real-time signals are the ones libraries pick
 * first (timers, glibc's own two sit below SIGRTMIN). */
enum { LOCAL_LEASE_SIGNAL_OFFSET = 6, LOCAL_LEASE_BATCH = 16 };

/* Descriptors a leased file holds (above), and how many files are leased
 * now in the whole process (linked into an export's leased list). */
enum { LOCAL_LEASE_FDS = 2 };
static _Atomic size_t local_leased;

/* Whether one more leased file keeps leases within half the descriptor
 * limit. */
static bool local_lease_room(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return true;
	return (rlim_t)(atomic_load(&local_leased) + 1) * LOCAL_LEASE_FDS <= rl.rlim_cur / 2;
}

static int local_lease_signal(void)
{
	return SIGRTMIN + LOCAL_LEASE_SIGNAL_OFFSET;
}

static bool local_has_cap_lease(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) != 0)
		return false;
	return (data[CAP_TO_INDEX(CAP_LEASE)].effective & CAP_TO_MASK(CAP_LEASE)) != 0;
}

void local_lease_init(struct local_export *ex)
{
	ex->leases.sfd = ex->leases.efd = ex->leases.nfd = -1;
	list_init(&ex->leases.head);
	if (!local_has_cap_lease()) {
		ex->leases.unsupported = true;
		log_warn("local back end: %s: no CAP_LEASE: files are delegated without kernel "
			 "leases, so processes on this host do not recall delegations",
			 ex->path);
	}
}

/* F_GETLEASE tells the type a lease is being broken to (F_UNLCK also when
 * the kernel already removed it); under ex->lock. */
static bool local_lease_breaking(const struct local_fd *f)
{
	int held = f->lease == BACKEND_LEASE_WRITE ? F_WRLCK : F_RDLCK;

	return fcntl(atomic_load(&f->rfd), F_GETLEASE) != held;
}

/* Which leases local_lease_report reports. */
struct local_lease_which {
	int fd;                           /* the one held on fd; -1: any */
	bool breaking;                    /* only those being broken */
	const struct backend_handle *hs;  /* only those of these handles... */
	size_t n;                         /* ...when hs is not NULL */
};

static bool local_lease_matches(const struct local_fd *f, const struct local_lease_which *w)
{
	bool named = w->hs == NULL;

	for (size_t i = 0; i < w->n && !named; i++)
		named = local_handle_eq(&f->handle, &w->hs[i]);
	return named && (w->fd < 0 || atomic_load(&f->rfd) == w->fd) &&
	       (!w->breaking || local_lease_breaking(f));
}

/* Calls the break function for the leases w selects; a lease dropped
 * meanwhile is not reported (its delegations are gone). */
static void local_lease_report(struct local_export *ex, const struct local_lease_which *w)
{
	struct backend_handle *hs = NULL;
	size_t n = 0, cap = 0;
	backend_lease_break_fn fn;
	void *ctx;

	pthread_mutex_lock(&ex->lock);
	fn = ex->leases.fn;
	ctx = ex->leases.ctx;
	list_for_each_entry(f, &ex->leases.head, struct local_fd, lease_link)
	{
		if (!fn)
			break;
		if (!local_lease_matches(f, w))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4;
			struct backend_handle *m = realloc(hs, ncap * sizeof(*hs));

			if (!m)
				break; /* reported again if the holder waits: see the scan */
			hs = m;
			cap = ncap;
		}
		hs[n++] = f->handle;
	}
	pthread_mutex_unlock(&ex->lock);
	for (size_t i = 0; i < n; i++)
		fn(ctx, &hs[i], BACKEND_LEASE_BROKEN);
	free(hs);
}

struct local_lease_start {
	struct local_export *ex;
	sem_t ready;
};

/* Reports the files that the fanotify events read now name. */
static void local_lease_report_changes(struct local_export *ex)
{
	struct local_lease_which w = { .fd = -1 };
	struct backend_handle *hs;
	size_t n;
	bool lost = local_watch_read(ex, &hs, &n) != 0;

	if (!lost) { /* else every lease: which ones changed is not known */
		w.hs = hs;
		w.n = n;
	}
	if (lost || n > 0)
		local_lease_report(ex, &w);
	free(hs);
}

static void *local_lease_main(void *arg)
{
	struct local_lease_start *st = arg;
	struct local_export *ex = st->ex;
	struct signalfd_siginfo si[LOCAL_LEASE_BATCH];

	ex->leases.tid = gettid();
	sem_post(&st->ready); /* st is gone after this */
	for (;;) {
		/* poll skips a negative fd: no fanotify, no third source. */
		struct pollfd p[3] = {
			{ .fd = ex->leases.sfd, .events = POLLIN },
			{ .fd = ex->leases.efd, .events = POLLIN },
			{ .fd = ex->leases.nfd, .events = POLLIN },
		};
		ssize_t got;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("local back end: lease thread: poll: %s", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if (p[2].revents)
			local_lease_report_changes(ex);
		if (!p[0].revents)
			continue;
		got = read(ex->leases.sfd, si, sizeof(si));
		for (ssize_t i = 0; i < got / (ssize_t)sizeof(si[0]); i++) {
			struct local_lease_which w = { .fd = -1, .breaking = true };

			if ((int)si[i].ssi_signo == local_lease_signal())
				w.fd = (int)si[i].ssi_fd;
			local_lease_report(ex, &w);
		}
	}
	return NULL;
}

static void local_signal_ignore_default(int sig)
{
	struct sigaction old, sa;

	if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
	    old.sa_handler != SIG_DFL)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

/* Starts the export's lease thread; under ex->lock (the thread takes it
 * only after it has told its id). */
static int local_lease_start(struct local_export *ex)
{
	struct local_lease_svc *ls = &ex->leases;
	struct local_lease_start st = { .ex = ex };
	sigset_t sigs, all, old;
	int r;

	if (ls->started)
		return 0;
	local_watch_start(ex);
	local_signal_ignore_default(local_lease_signal());
	local_signal_ignore_default(SIGIO);
	sigemptyset(&sigs);
	sigaddset(&sigs, local_lease_signal());
	sigaddset(&sigs, SIGIO);
	/* signalfd reads the signals pending for the thread that reads it:
	 * made here, read there. */
	ls->sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	ls->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ls->sfd < 0 || ls->efd < 0 || sem_init(&st.ready, 0, 0) != 0) {
		r = -errno;
		goto fail;
	}
	/* The thread starts with every signal blocked: ours stay queued for
	 * its signalfd and the process's others go to other threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = -pthread_create(&ls->thread, NULL, local_lease_main, &st);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0)
		while (sem_wait(&st.ready) != 0 && errno == EINTR)
			;
	sem_destroy(&st.ready);
	if (r != 0)
		goto fail;
	ls->started = true;
	return 0;
fail:
	if (ls->sfd >= 0)
		close(ls->sfd);
	if (ls->efd >= 0)
		close(ls->efd);
	ls->sfd = ls->efd = -1;
	return r;
}

static void local_lease_link(struct local_export *ex, struct local_fd *f)
{
	list_add_head(&ex->leases.head, &f->lease_link);
	atomic_fetch_add(&local_leased, 1);
}

static void local_lease_unlink(struct local_export *ex, struct local_fd *f)
{
	list_del(&f->lease_link);
	atomic_fetch_sub(&local_leased, 1);
}

/* The leased entry for h, referenced; under ex->lock.  Looked up here and
 * not in the cache: an entry dropped from the cache (its name removed)
 * keeps its lease until the holder lets go. */
static struct local_fd *local_lease_find(struct local_export *ex, const struct backend_handle *h)
{
	list_for_each_entry(f, &ex->leases.head, struct local_fd, lease_link)
	{
		if (local_handle_eq(&f->handle, h)) {
			f->refs++;
			return f;
		}
	}
	return NULL;
}

/* Errors of taking a lease, as the contract knows them. */
static int local_lease_errno(int err)
{
	switch (err) {
	case EAGAIN:  /* open elsewhere in a conflicting way, or being broken */
	case ETXTBSY: /* being executed: no write lease, no O_RDWR */
	case EROFS:   /* no write lease on a read-only file system */
	case EPERM:   /* immutable or append-only */
		return -EAGAIN;
	case EINVAL: /* the file system has no leases, or leases-enable is 0 */
	case EACCES: /* no CAP_LEASE after all */
	case ENOSYS:
		return -ENOTSUP;
	default:
		return -err;
	}
}

/* Drops f's lease; under ex->lock.  The lease's reference is dropped (the
 * caller holds another).  An O_RDWR data descriptor stays until the last
 * user puts the entry (local_fd_put). */
static void local_lease_drop(struct local_export *ex, struct local_fd *f)
{
	local_watch_remove(ex, atomic_load(&f->rfd));
	fcntl(atomic_load(&f->rfd), F_SETLEASE, F_UNLCK);
	local_lease_unlink(ex, f);
	f->lease = BACKEND_LEASE_NONE;
	f->refs--;
}

/* Opens the descriptor for a lease of f (O_NONBLOCK: never waits for a
 * host process's own lease); the thread is privileged. */
static int local_lease_open(struct local_fd *f, int mode)
{
	char path[LOCAL_PROC_FD_PATH];
	int fd;

	local_proc_path(path, f->pfd);
	fd = open(path, mode | O_NONBLOCK | O_CLOEXEC);
	return fd >= 0 ? fd : local_lease_errno(errno == EWOULDBLOCK ? EAGAIN : errno);
}

/* Makes f's data descriptor the one a lease of type needs; under ex->lock,
 * the caller holding one reference.  Returns the descriptor. */
static int local_lease_prepare(struct local_fd *f, enum backend_lease type)
{
	int fd, expected = -1;

	if (type == BACKEND_LEASE_READ && !atomic_load(&f->rfd_rw)) {
		fd = atomic_load(&f->rfd);
		if (fd >= 0)
			return fd;
		fd = local_lease_open(f, O_RDONLY);
		if (fd < 0)
			return fd;
		/* Another user may open the read descriptor meanwhile (it holds
		 * a reference, not the lock): keep whichever came first. */
		if (!atomic_compare_exchange_strong(&f->rfd, &expected, fd)) {
			close(fd);
			fd = expected;
		}
		return fd;
	}
	/* A WRITE lease, or a READ lease where the O_RDWR descriptor of an
	 * earlier WRITE lease is left: the descriptor in place has to go, which
	 * is safe only while nobody else holds the entry. */
	if (f->refs != 1)
		return -EAGAIN;
	fd = atomic_exchange(&f->rfd, -1);
	atomic_store(&f->rfd_rw, false);
	if (fd >= 0)
		close(fd);
	fd = local_lease_open(f, type == BACKEND_LEASE_WRITE ? O_RDWR : O_RDONLY);
	if (fd < 0)
		return fd;
	atomic_store(&f->rfd, fd);
	atomic_store(&f->rfd_rw, type == BACKEND_LEASE_WRITE);
	return fd;
}

/* Under ex->lock, the thread privileged. */
static int local_lease_change(struct local_export *ex, struct local_fd *f,
			      enum backend_lease type, bool *kick)
{
	struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = ex->leases.tid };
	int fd, r;

	if (f->lease == type)
		return 0;
	/* A file leased already keeps its place (READ to WRITE or back). */
	if (f->lease == BACKEND_LEASE_NONE && !local_lease_room())
		return -EMFILE;
	if (f->lease != BACKEND_LEASE_NONE)
		local_lease_drop(ex, f);
	if (type == BACKEND_LEASE_NONE)
		return 0;
	fd = local_lease_prepare(f, type);
	if (fd < 0)
		return fd;
	/* The mark before the lease: a host change from here on is reported
	 * (the thread maps its event to f only once f is linked below, and
	 * waits for the lock we hold to do so). */
	r = local_watch_add(ex, fd, type);
	if (r != 0 || fcntl(fd, F_SETSIG, local_lease_signal()) != 0 ||
	    fcntl(fd, F_SETLEASE, type == BACKEND_LEASE_WRITE ? F_WRLCK : F_RDLCK) != 0) {
		r = r != 0 ? r : local_lease_errno(errno);
		local_watch_remove(ex, fd);
		if (type == BACKEND_LEASE_WRITE && f->refs == 1) {
			/* Not to be left open for writing in the cache. */
			atomic_store(&f->rfd, -1);
			atomic_store(&f->rfd_rw, false);
			close(fd);
		}
		return r;
	}
	/* F_SETLEASE pointed the descriptor at the whole process: now at the
	 * lease thread alone. */
	if (fcntl(fd, F_SETOWN_EX, &owner) != 0) {
		r = -errno;
		local_watch_remove(ex, fd);
		fcntl(fd, F_SETLEASE, F_UNLCK);
		return r;
	}
	f->lease = type;
	f->refs++;
	local_lease_link(ex, f);
	/* A break that came before F_SETOWN_EX went to the process, which
	 * ignores it: have the thread look. */
	*kick = local_lease_breaking(f);
	return 0;
}

int local_lease(struct backend_export *bex, const struct backend_handle *h,
		enum backend_lease type)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	bool kick = false;
	int r;

	if (type != BACKEND_LEASE_NONE && type != BACKEND_LEASE_READ && type != BACKEND_LEASE_WRITE)
		return -EINVAL;
	pthread_mutex_lock(&ex->lock);
	f = local_lease_find(ex, h);
	pthread_mutex_unlock(&ex->lock);
	if (!f) {
		if (type == BACKEND_LEASE_NONE)
			return 0;
		if (ex->leases.unsupported)
			return -ENOTSUP;
		r = local_fd_get(ex, h, &f);
		if (r != 0)
			return r;
	}
	r = local_data_type(f);
	if (r == 0)
		r = local_cred_privileged();
	/* A descriptor kept for writing is an open that refuses any lease. */
	if (r == 0 && type != BACKEND_LEASE_NONE)
		local_wkeep_drop(ex, h);
	if (r == 0) {
		pthread_mutex_lock(&ex->lock);
		if (type != BACKEND_LEASE_NONE)
			r = local_lease_start(ex);
		if (r == 0)
			r = local_lease_change(ex, f, type, &kick);
		pthread_mutex_unlock(&ex->lock);
	}
	if (kick)
		syscall(SYS_tgkill, getpid(), ex->leases.tid, SIGIO);
	local_fd_put(ex, f);
	return r == -EISDIR ? -EINVAL : r;
}

/* --- leases handed over by an upgrade --------------------------------------- */

/* The change time of fd's file in ns (0 when it cannot be read, which no
 * file has). */
static uint64_t local_lease_ctime_ns(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return 0;
	return (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
}

int local_lease_list(struct backend_export *bex, struct backend_lease_held **out, size_t *n)
{
	struct local_export *ex = local_export_of(bex);
	struct backend_lease_held *v = NULL;
	size_t k = 0;
	int r = 0;

	pthread_mutex_lock(&ex->lock);
	size_t count = list_count(&ex->leases.head);
	if (count) {
		v = calloc(count, sizeof(*v));
		r = v ? 0 : -ENOMEM;
	}
	if (r == 0) {
		list_for_each_entry(f, &ex->leases.head, struct local_fd, lease_link)
		{
			/* A duplicate: the same open file description, so the
			 * same lease, and a number nobody here closes under
			 * the caller. */
			int fd = fcntl(atomic_load(&f->rfd), F_DUPFD_CLOEXEC, 0);

			if (fd < 0) {
				r = -errno;
				break;
			}
			v[k].handle = f->handle;
			v[k].type = f->lease;
			v[k].fd = fd;
			v[k].changed_ns = local_lease_ctime_ns(fd);
			k++;
		}
	}
	pthread_mutex_unlock(&ex->lock);
	if (r != 0) {
		for (size_t i = 0; i < k; i++)
			close(v[i].fd);
		free(v);
		v = NULL;
		k = 0;
	}
	*out = v;
	*n = k;
	return r;
}

/* Whether fd is open on f's file, with the access a lease of type is
 * held with (O_RDWR for WRITE, O_RDONLY for READ). */
static bool local_lease_fd_fits(const struct local_fd *f, int fd, enum backend_lease type)
{
	struct stat a, b;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || (fl & O_ACCMODE) != (type == BACKEND_LEASE_WRITE ? O_RDWR : O_RDONLY))
		return false;
	return fstat(fd, &a) == 0 && fstat(f->pfd, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* Makes the lease that fd holds f's; under ex->lock, the caller holding
 * one reference.  fd is f's on success. */
static int local_lease_take_over(struct local_export *ex, struct local_fd *f,
				 enum backend_lease type, int fd, bool *kick)
{
	struct f_owner_ex owner = { .type = F_OWNER_TID, .pid = ex->leases.tid };
	int old, r;

	if (f->lease != BACKEND_LEASE_NONE)
		return -EBUSY;
	/* The data descriptor this process opened on its own is replaced:
	 * only while nobody else uses the entry. */
	if (atomic_load(&f->rfd) >= 0 && f->refs != 1)
		return -EBUSY;
	r = local_watch_add(ex, fd, type);
	if (r != 0)
		return r;
	/* The break signal, which the description kept, is now this
	 * process's lease thread's: a break signalled to the process before
	 * went unheard, so the lease is looked at once more below. */
	if (fcntl(fd, F_SETSIG, local_lease_signal()) != 0 ||
	    fcntl(fd, F_SETOWN_EX, &owner) != 0) {
		r = -errno;
		local_watch_remove(ex, fd);
		return r;
	}
	/* The signal names the descriptor number the lease was taken
	 * through (the old process's): taken again through ours, the same
	 * lease (same description) names ours from now on.  Refused while
	 * the lease is being broken, which the look below reports. */
	(void)fcntl(fd, F_SETLEASE, type == BACKEND_LEASE_WRITE ? F_WRLCK : F_RDLCK);
	old = atomic_exchange(&f->rfd, fd);
	atomic_store(&f->rfd_rw, type == BACKEND_LEASE_WRITE);
	if (old >= 0)
		close(old);
	f->lease = type;
	f->refs++;
	local_lease_link(ex, f);
	/* Being broken (or gone: F_GETLEASE cannot tell a read lease broken
	 * to nothing from none), it is reported: the delegations are
	 * recalled and the lease dropped when they come back. */
	*kick = local_lease_breaking(f);
	return 0;
}

int local_lease_adopt(struct backend_export *bex, const struct backend_handle *h,
		      enum backend_lease type, int fd, uint64_t changed_ns)
{
	struct local_export *ex = local_export_of(bex);
	struct local_fd *f;
	bool kick = false, changed = false;
	int r;

	if (type != BACKEND_LEASE_READ && type != BACKEND_LEASE_WRITE) {
		close(fd);
		return -EINVAL;
	}
	if (ex->leases.unsupported) {
		close(fd);
		return -ENOTSUP;
	}
	r = local_fd_get(ex, h, &f);
	if (r != 0) {
		close(fd);
		return r;
	}
	r = local_data_type(f);
	if (r == 0 && !local_lease_fd_fits(f, fd, type))
		r = -EINVAL;
	if (r == 0) {
		local_wkeep_drop(ex, h);
		pthread_mutex_lock(&ex->lock);
		r = local_lease_start(ex);
		if (r == 0)
			r = local_lease_take_over(ex, f, type, fd, &kick);
		pthread_mutex_unlock(&ex->lock);
	}
	if (r != 0)
		close(fd);
	/* Watched from here on: a change since the old process listed the
	 * lease (a rename, a chmod, which no lease holds back) is told now. */
	if (r == 0)
		changed = local_lease_ctime_ns(fd) != changed_ns;
	if (kick)
		syscall(SYS_tgkill, getpid(), ex->leases.tid, SIGIO);
	if (changed) {
		log_info("local back end: %s: a leased file changed on the host during the "
			 "upgrade's hand-over: reported", ex->path);
		local_lease_report(ex, &(struct local_lease_which){ .fd = fd });
	}
	local_fd_put(ex, f);
	return r == -EISDIR ? -EINVAL : r;
}

void local_lease_leave(struct backend_export *bex)
{
	struct local_export *ex = local_export_of(bex);

	for (;;) {
		struct local_fd *f;

		pthread_mutex_lock(&ex->lock);
		f = list_empty(&ex->leases.head)
			    ? NULL
			    : list_entry(ex->leases.head.next, struct local_fd, lease_link);
		if (f) {
			/* As local_lease_drop, but the lease stays on the
			 * description the new process holds. */
			local_watch_remove(ex, atomic_load(&f->rfd));
			local_lease_unlink(ex, f);
			f->lease = BACKEND_LEASE_NONE;
		}
		pthread_mutex_unlock(&ex->lock);
		if (!f)
			break;
		local_fd_put(ex, f); /* the lease's reference */
	}
}

void local_lease_notify(struct backend_export *bex, backend_lease_break_fn fn, void *ctx)
{
	struct local_export *ex = local_export_of(bex);

	backend_lease_notify_set(&ex->lock, &ex->leases.fn, &ex->leases.ctx, fn, ctx);
}

void local_lease_fini(struct local_export *ex)
{
	struct local_lease_svc *ls = &ex->leases;

	if (ls->started) {
		local_watch_thread_stop(ls->thread, ls->efd, "lease");
		close(ls->sfd);
		ls->started = false;
	}
	/* Before the leases go: their marks go with the group, and no mark
	 * is removed through a descriptor number closed here. */
	pthread_mutex_lock(&ex->lock);
	local_watch_stop(ex);
	pthread_mutex_unlock(&ex->lock);
	for (;;) {
		struct local_fd *f;

		pthread_mutex_lock(&ex->lock);
		f = list_empty(&ls->head) ? NULL
					  : list_entry(ls->head.next, struct local_fd, lease_link);
		if (f) {
			f->refs++; /* the put below then closes and frees as usual */
			local_lease_drop(ex, f);
		}
		pthread_mutex_unlock(&ex->lock);
		if (!f)
			break;
		local_fd_put(ex, f);
	}
}
