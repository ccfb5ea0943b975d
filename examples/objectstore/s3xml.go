package objectstore

import (
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/cognate-dev/cognate/broker/authz"
)

// s3NS is the namespace of S3's XML documents.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// S3 error codes this store answers with besides authz's (Amazon S3 API
// Reference, "Error responses"), and the status S3 sends with each.
const (
	CodeNoSuchKey                 = "NoSuchKey"
	CodeNoSuchBucket              = "NoSuchBucket"
	CodeEntityTooLarge            = "EntityTooLarge"
	CodeInvalidArgument           = "InvalidArgument"
	CodeInvalidRange              = "InvalidRange"
	CodeKeyTooLong                = "KeyTooLongError"
	CodeBadDigest                 = "BadDigest"
	CodeInvalidDigest             = "InvalidDigest"
	CodeXAmzContentSHA256Mismatch = "XAmzContentSHA256Mismatch"
	CodeIncompleteBody            = "IncompleteBody"
	CodePreconditionFailed        = "PreconditionFailed"
	CodeNotImplemented            = "NotImplemented"
	CodeInvalidRequest            = "InvalidRequest"
	CodeInternalError             = "InternalError"
	CodeMaxMessageLengthExceeded  = "MaxMessageLengthExceeded"
)

var statusOf = map[string]int{
	CodeNoSuchKey:                 http.StatusNotFound,
	CodeNoSuchBucket:              http.StatusNotFound,
	CodeEntityTooLarge:            http.StatusBadRequest,
	CodeInvalidArgument:           http.StatusBadRequest,
	CodeInvalidRange:              http.StatusRequestedRangeNotSatisfiable,
	CodeKeyTooLong:                http.StatusBadRequest,
	CodeBadDigest:                 http.StatusBadRequest,
	CodeInvalidDigest:             http.StatusBadRequest,
	CodeXAmzContentSHA256Mismatch: http.StatusBadRequest,
	CodeIncompleteBody:            http.StatusBadRequest,
	CodePreconditionFailed:        http.StatusPreconditionFailed,
	CodeNotImplemented:            http.StatusNotImplemented,
	CodeInvalidRequest:            http.StatusBadRequest,
	CodeInternalError:             http.StatusInternalServerError,
	CodeMaxMessageLengthExceeded:  http.StatusBadRequest,
	authz.CodeServiceUnavailable:  http.StatusServiceUnavailable,
}

// s3Error is an error answered to the client.
type s3Error struct {
	Code    string
	Message string
	Status  int
	// Key or BucketName, for NoSuchKey and NoSuchBucket.
	Key, Bucket string
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

func newError(code, message string) *s3Error {
	return &s3Error{Code: code, Message: message, Status: statusOf[code]}
}

var errInternal = newError(CodeInternalError, "We encountered an internal error. Please try again.")

// errorBody is S3's error document.
type errorBody struct {
	XMLName    xml.Name `xml:"Error"`
	Code       string   `xml:"Code"`
	Message    string   `xml:"Message"`
	Key        string   `xml:"Key,omitempty"`
	BucketName string   `xml:"BucketName,omitempty"`
	RequestID  string   `xml:"RequestId"`
	Resource   string   `xml:"Resource"`
}

// writeError answers with e: the status, and (except to HEAD) the XML
// error document.
func writeError(w http.ResponseWriter, r *http.Request, e *s3Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	h := w.Header()
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	h.Set("Content-Type", "application/xml")
	writeXML(w, status, &errorBody{
		Code: e.Code, Message: e.Message, Key: e.Key, BucketName: e.Bucket,
		RequestID: h.Get("X-Amz-Request-Id"), Resource: r.URL.Path,
	})
}

func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v)
}

// listBucketResult is ListObjectsV2's answer.
type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	XMLNS                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                string         `xml:"Prefix"`
	Delimiter             string         `xml:"Delimiter,omitempty"`
	MaxKeys               int            `xml:"MaxKeys"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	ContinuationToken     string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            string         `xml:"StartAfter,omitempty"`
	KeyCount              int            `xml:"KeyCount"`
	Contents              []listObject   `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type listObject struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
	Owner        *owner `xml:"Owner,omitempty"`
}

type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName,omitempty"`
}

type commonPrefix struct {
	Prefix string `xml:"Prefix"`
}

// s3Time formats t as S3 does in XML: ISO 8601 with milliseconds, UTC.
func s3Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// urlEncode encodes a key for encoding-type=url: form encoding ("+" for
// a space), "/" left alone, as S3 does and the AWS CLI decodes.
func urlEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ':
			b.WriteByte('+')
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte("-_.~/", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte("0123456789ABCDEF"[c>>4])
			b.WriteByte("0123456789ABCDEF"[c&15])
		}
	}
	return b.String()
}
