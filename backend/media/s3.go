package media

// Media in an S3-compatible bucket, so that every node behind a load balancer reads the files
// any node stored. The client is minio-go: it speaks the S3 API of AWS and of every compatible
// server (MinIO, Ceph, SeaweedFS, Garage, R2, …) with signature V4.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"santral/backend/config"
)

// S3 stores files as objects named prefix+key in one bucket.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	where  string // bucket and server, for messages
	log    *slog.Logger
}

// partSize is what one request carries of a file whose size is not known in advance (an upload
// streaming in): S3's smallest part. A smaller file is one PUT; a larger one a multipart upload
// holding one part in memory at a time.
const partSize = 5 << 20

// OpenS3 connects to the bucket and checks, before santrald serves anything, that it exists and
// that santrald may write, read and delete there: a mistake in the settings stops the start
// with what is wrong instead of failing every upload later.
func OpenS3(ctx context.Context, cfg config.S3, log *slog.Logger) (*S3, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("media: --s3-endpoint: %w", err)
	}
	secure := u.Scheme == "https"
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	// A server that is away fails a request within seconds (then minio-go tries again twice),
	// instead of holding an agent's upload for minutes.
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	tr.ResponseHeaderTimeout = 30 * time.Second
	client, err := minio.New(u.Host, &minio.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     secure,
		Region:     cfg.Region,
		Transport:  tr,
		MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("media: --s3-endpoint %s: %w", cfg.Endpoint, err)
	}
	s := &S3{client: client, bucket: cfg.Bucket, prefix: cfg.ObjectPrefix(), log: log,
		where: fmt.Sprintf("bucket %q at %s", cfg.Bucket, cfg.Endpoint)}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.startCheck(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// startCheck finds the bucket, then writes, reads back and deletes a small object.
func (s *S3) startCheck(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.startError("cannot be reached", err)
	}
	if !exists {
		return fmt.Errorf("media: the %s does not exist: create it (santrald does not create buckets) or correct --s3-bucket", s.where)
	}
	name := s.prefix + "santral-start-check-" + newKey()
	probe := []byte("santrald checks it may write, read and delete here")
	if _, err := s.client.PutObject(ctx, s.bucket, name, bytes.NewReader(probe), int64(len(probe)),
		minio.PutObjectOptions{ContentType: "text/plain"}); err != nil {
		return s.startError("refused a write", err)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, name, minio.GetObjectOptions{})
	if err == nil {
		var back []byte
		back, err = io.ReadAll(obj)
		obj.Close()
		if err == nil && !bytes.Equal(back, probe) {
			err = errors.New("the object read back is not the one written")
		}
	}
	if err != nil {
		s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{})
		return s.startError("refused a read", err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, name, minio.RemoveObjectOptions{}); err != nil {
		return s.startError("refused a delete (unsent uploads are deleted after --upload-retention)", err)
	}
	return nil
}

// startError names what failed in the words of the settings an admin can change. The keys are
// never part of it; the server's own code and message are.
func (s *S3) startError(what string, err error) error {
	resp := minio.ToErrorResponse(err)
	switch resp.Code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken", "ExpiredToken":
		return fmt.Errorf("media: the %s refused santrald's keys (%s: %s): check SANTRAL_S3_ACCESS_KEY and SANTRAL_S3_SECRET_KEY and the bucket's policy",
			s.where, resp.Code, resp.Message)
	case "":
		return fmt.Errorf("media: the %s %s: %w (check --s3-endpoint and that the server is up)", s.where, what, err)
	}
	return fmt.Errorf("media: the %s %s: %s: %s", s.where, what, resp.Code, resp.Message)
}

// Check tells whether the bucket answers (GET /readyz).
func (s *S3) Check(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err == nil && !exists {
		err = fmt.Errorf("the %s no longer exists", s.where)
	}
	return err
}

func (s *S3) name(key string) string { return s.prefix + key }

// failed is a request to S3 that did not succeed: logged here, at the boundary, with its cause,
// and ErrUnavailable to the caller. A request its caller gave up on is not the store's fault.
func (s *S3) failed(ctx context.Context, op, key string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	s.log.WarnContext(ctx, "media: S3 request failed", "op", op, "bucket", s.bucket, "key", key, "err", err)
	return &unavailable{cause: err}
}

// Put streams r into a new object. A file that fits in one part is one PUT; a larger one a
// multipart upload that S3 aborts (keeping nothing) when the file turns out too large or the
// upload breaks off.
func (s *S3) Put(ctx context.Context, r io.Reader, max int64) (string, int64, error) {
	key := newKey()
	body := &capped{r: r, max: max}
	head, err := io.ReadAll(io.LimitReader(body, partSize))
	if err != nil {
		return "", 0, err
	}
	// The body is not signed chunk by chunk (aws-chunked, which some S3-compatible servers do
	// not decode in multipart parts and S3 refuses for an empty body): as AWS's own SDKs do
	// over HTTPS, the signature covers the headers, and each part's Content-MD5, which the
	// server checks, covers its bytes.
	opts := minio.PutObjectOptions{ContentType: "application/octet-stream", PartSize: partSize,
		DisableContentSha256: true, SendContentMd5: true}
	if len(head) < partSize {
		_, err = s.client.PutObject(ctx, s.bucket, s.name(key), bytes.NewReader(head), int64(len(head)), opts)
	} else {
		_, err = s.client.PutObject(ctx, s.bucket, s.name(key), io.MultiReader(bytes.NewReader(head), body), -1, opts)
	}
	switch {
	case body.err != nil:
		return "", 0, body.err // the upload's own fault: too large, or the sender went away
	case err != nil:
		return "", 0, s.failed(ctx, "put", key, err)
	}
	return key, body.n, nil
}

// capped reads at most max bytes of r: past them it fails with ErrTooLarge. It keeps the error
// r itself gave, so that Put can tell the upload's faults from the store's.
type capped struct {
	r   io.Reader
	max int64
	n   int64
	err error
}

func (c *capped) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if room := c.max + 1 - c.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	switch {
	case c.n > c.max:
		c.err = ErrTooLarge
		return 0, c.err
	case err != nil && err != io.EOF:
		c.err = err
	}
	return n, err
}

// Open opens the object. Its size is asked for here (a HEAD), so that a missing file or a store
// that is away is known before the download answers; the bytes come with the first read.
func (s *S3) Open(ctx context.Context, key string) (io.ReadSeekCloser, error) {
	if !keyPattern.MatchString(key) {
		return nil, ErrNotFound
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.name(key), minio.GetObjectOptions{})
	if err != nil {
		return nil, s.failed(ctx, "get", key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		obj.Close()
		if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
			return nil, ErrNotFound
		}
		return nil, s.failed(ctx, "get", key, err)
	}
	return &object{obj: obj, size: info.Size}, nil
}

// object reads an S3 object. A seek only moves the offset; a read asks for the bytes from
// there when the offset is not where the response being read is — so http.ServeContent's seek
// to the end (to learn the size) and back costs no request, and a download is one GET (of its
// range, when it asks for one).
type object struct {
	obj      *minio.Object
	size     int64
	off, pos int64 // where the reader is asked to be; where the object's response is
}

func (o *object) Read(p []byte) (int, error) {
	if o.off >= o.size {
		return 0, io.EOF
	}
	if o.off != o.pos {
		if _, err := o.obj.Seek(o.off, io.SeekStart); err != nil {
			return 0, err
		}
		o.pos = o.off
	}
	n, err := o.obj.Read(p)
	o.off += int64(n)
	o.pos += int64(n)
	return n, err
}

func (o *object) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekCurrent:
		offset += o.off
	case io.SeekEnd:
		offset += o.size
	}
	if offset < 0 {
		return 0, errors.New("media: seek before the start of the file")
	}
	o.off = offset
	return offset, nil
}

func (o *object) Close() error { return o.obj.Close() }

// Delete removes the object; S3 answers a missing one as deleted.
func (s *S3) Delete(ctx context.Context, key string) error {
	if !keyPattern.MatchString(key) {
		return nil
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.name(key), minio.RemoveObjectOptions{}); err != nil &&
		minio.ToErrorResponse(err).Code != minio.NoSuchKey {
		return s.failed(ctx, "delete", key, err)
	}
	return nil
}

// Usage is the total size of the files under the prefix (for --media-quota): one listing of
// up to 1,000 objects per request.
func (s *S3) Usage(ctx context.Context) (int64, error) {
	var total int64
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if o.Err != nil {
			return 0, s.failed(ctx, "list", "", o.Err)
		}
		if keyPattern.MatchString(strings.TrimPrefix(o.Key, s.prefix)) {
			total += o.Size
		}
	}
	return total, nil
}
