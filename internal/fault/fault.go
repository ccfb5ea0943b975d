// Package fault defines the typed error the domain packages return.
//
// An Error carries a Code (the Cognito/AWS exception name the protocol edge
// will use, e.g. "NotAuthorizedException"), a public Message that is safe to
// show to callers, and an optional private cause that is only ever logged.
// Only web/ chooses HTTP statuses and wire shapes; see web.errorStatus.
package fault

import (
	"errors"
	"fmt"
)

// Code is an AWS exception name as it appears in "__type" on the wire.
type Code string

// Codes shared by the Cognito Identity and Cognito User Pools services
// (service models cognito-identity 2014-06-30 and cognito-idp 2016-04-18).
const (
	InvalidParameter      Code = "InvalidParameterException"
	NotAuthorized         Code = "NotAuthorizedException"
	ResourceNotFound      Code = "ResourceNotFoundException"
	ResourceConflict      Code = "ResourceConflictException"
	TooManyRequests       Code = "TooManyRequestsException"
	LimitExceeded         Code = "LimitExceededException"
	Internal              Code = "InternalErrorException"
	InvalidPoolConfig     Code = "InvalidIdentityPoolConfigurationException"
	Validation            Code = "ValidationException"
	UsernameExists        Code = "UsernameExistsException"
	UserNotFound          Code = "UserNotFoundException"
	UserNotConfirmed      Code = "UserNotConfirmedException"
	PasswordResetRequired Code = "PasswordResetRequiredException"
	InvalidPassword       Code = "InvalidPasswordException"
	CodeMismatch          Code = "CodeMismatchException"
	ExpiredCode           Code = "ExpiredCodeException"
	// IAM / STS query-protocol codes.
	NoSuchEntity               Code = "NoSuchEntity"
	EntityAlreadyExists        Code = "EntityAlreadyExists"
	MalformedPolicyDocument    Code = "MalformedPolicyDocument"
	DeleteConflict             Code = "DeleteConflict"
	IAMLimitExceeded           Code = "LimitExceeded" // IAM's; HTTP 409
	InvalidInput               Code = "InvalidInput"
	ValidationError            Code = "ValidationError"
	AccessDenied               Code = "AccessDenied"
	InvalidClientTokenID       Code = "InvalidClientTokenId"
	SignatureDoesNotMatch      Code = "SignatureDoesNotMatch"
	IncompleteSignature        Code = "IncompleteSignature"
	MissingAuthenticationToken Code = "MissingAuthenticationTokenException"
	UnknownOperation           Code = "UnknownOperationException"
	Serialization              Code = "SerializationException"
)

// Error is a domain error with a protocol code and a public message.
// The cause is private: it is for logs and errors.Is/As, never for responses.
type Error struct {
	Code    Code
	Message string
	cause   error
}

// New returns an *Error with a formatted public message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error whose public message is msg and whose private cause is err.
func Wrap(code Code, err error, msg string) *Error {
	return &Error{Code: code, Message: msg, cause: err}
}

// Internalf wraps an unexpected failure as InternalErrorException with a generic
// public message; the cause stays private.
func Internalf(err error, format string, args ...any) *Error {
	return &Error{Code: Internal, Message: "An internal error occurred.", cause: fmt.Errorf(format+": %w", append(args, err)...)}
}

func (e *Error) Error() string {
	if e.cause != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.cause.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.cause }

// As returns err as an *Error; any other error becomes InternalErrorException
// with err as its private cause.
func As(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	return &Error{Code: Internal, Message: "An internal error occurred.", cause: err}
}

// Is reports whether err is a *Error with the given code.
func Is(err error, code Code) bool {
	var fe *Error
	return errors.As(err, &fe) && fe.Code == code
}
