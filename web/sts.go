package web

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/broker"
	"github.com/cognate-dev/cognate/internal/fault"
)

// STS on the query protocol (API version 2011-06-15, SigV4 service "sts"):
// GetCallerIdentity signed with Cognate credentials rather than the admin's,
// AssumeRoleWithWebIdentity unsigned.

const (
	stsVersion = "2011-06-15"
	stsXMLNS   = "https://sts.amazonaws.com/doc/2011-06-15/"
)

type getCallerIdentityResponse struct {
	XMLName  xml.Name         `xml:"GetCallerIdentityResponse"`
	XMLNS    string           `xml:"xmlns,attr"`
	Arn      string           `xml:"GetCallerIdentityResult>Arn"`
	UserID   string           `xml:"GetCallerIdentityResult>UserId"`
	Account  string           `xml:"GetCallerIdentityResult>Account"`
	Metadata responseMetadata `xml:"ResponseMetadata"`
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"` // ISO 8601 UTC
}

type assumedRoleUser struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

// assumeRoleWithWebIdentityResult is the AssumeRoleWithWebIdentityResult
// element (reference §6.1, §6.2).
type assumeRoleWithWebIdentityResult struct {
	Credentials                 stsCredentials  `xml:"Credentials"`
	SubjectFromWebIdentityToken string          `xml:"SubjectFromWebIdentityToken"`
	AssumedRoleUser             assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize            *int            `xml:"PackedPolicySize,omitempty"`
	Provider                    string          `xml:"Provider"`
	Audience                    string          `xml:"Audience"`
	SourceIdentity              string          `xml:"SourceIdentity,omitempty"`
}

// handleSTS serves the STS actions Cognate has:
//
//   - GetCallerIdentity (signed), which answers the assumed-role ARN,
//     "<role ID>:<session name>" and the account of the credentials that
//     signed the request (broker.CallerIdentity);
//   - AssumeRoleWithWebIdentity, unsigned like STS's (the web identity
//     token is the proof; a signature, if any, is ignored), the basic
//     flow's second step (broker.AssumeRoleWithWebIdentity).
func (s *Server) handleSTS(c echo.Context, body []byte, action string) error {
	req := c.Request()
	switch action {
	case "GetCallerIdentity":
	case "AssumeRoleWithWebIdentity":
		return s.assumeRoleWithWebIdentity(c, body)
	case "AssumeRoleWithSAML":
		return s.assumeRoleWithSAML(c, body)
	default:
		return s.writeSTSError(c, fault.New("InvalidAction", "Could not find operation %s for version %s.", action, stsVersion))
	}
	id, err := s.cfg.Broker.CallerIdentity(req.Context(), req, body)
	if err != nil {
		return s.writeSTSError(c, err)
	}
	s.log.InfoContext(req.Context(), "caller identity", "identity_id", id.IdentityID, "arn", id.ARN)
	return c.XML(http.StatusOK, getCallerIdentityResponse{
		XMLNS: stsXMLNS, Arn: id.ARN, UserID: id.UserID, Account: id.Account,
		Metadata: responseMetadata{RequestID: RequestID(req.Context())},
	})
}

// assumeRoleWithWebIdentity decodes the query parameters (PolicyArns as
// PolicyArns.member.N.arn), calls the broker and writes the XML result.
func (s *Server) assumeRoleWithWebIdentity(c echo.Context, body []byte) error {
	ctx := c.Request().Context()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return s.writeSTSError(c, fault.New("MalformedQueryString", "The request body is not a valid form."))
	}
	p := &queryParams{form: form}
	in := broker.AssumeRoleWithWebIdentityInput{
		RoleARN: p.str("RoleArn"), RoleSessionName: p.str("RoleSessionName"),
		WebIdentityToken: p.str("WebIdentityToken"), ProviderID: p.str("ProviderId"),
		Policy: p.str("Policy"), DurationSeconds: p.integer("DurationSeconds"),
	}
	for _, m := range p.structList("PolicyArns") {
		in.PolicyARNs = append(in.PolicyARNs, m["arn"])
	}
	if p.err != nil {
		return s.writeSTSError(c, p.err)
	}
	out, err := s.cfg.Broker.AssumeRoleWithWebIdentity(ctx, in)
	if err != nil {
		return s.writeSTSError(c, err)
	}
	packed := out.PackedPolicySize
	return c.XML(http.StatusOK, queryResponse{
		XMLName: xml.Name{Local: "AssumeRoleWithWebIdentityResponse"}, XMLNS: stsXMLNS,
		Result: &queryResult{name: "AssumeRoleWithWebIdentityResult", body: assumeRoleWithWebIdentityResult{
			Credentials: stsCredentials{
				AccessKeyID: out.Credentials.AccessKeyID, SecretAccessKey: out.Credentials.SecretKey,
				SessionToken: out.Credentials.SessionToken,
				Expiration:   out.Credentials.Expiration.UTC().Format(time.RFC3339),
			},
			SubjectFromWebIdentityToken: out.SubjectFromWebIdentityToken,
			AssumedRoleUser:             assumedRoleUser{Arn: out.AssumedRoleUser.ARN, AssumedRoleID: out.AssumedRoleUser.AssumedRoleID},
			PackedPolicySize:            &packed,
			Provider:                    out.Provider,
			Audience:                    out.Audience,
			SourceIdentity:              out.SourceIdentity,
		}},
		Metadata: responseMetadata{RequestID: RequestID(ctx)},
	})
}

// writeSTSError writes a query-protocol error in STS's namespace, with the
// status STS sends for its own codes (reference §6.5: IDPRejectedClaim and
// RegionDisabledException are 403; the rest as writeQueryErrorNS). The
// private cause of a refusal (why a token did not verify) is logged.
func (s *Server) writeSTSError(c echo.Context, err error) error {
	fe := fault.As(err)
	ctx := c.Request().Context()
	if fe.Code != fault.Internal && fe.Unwrap() != nil {
		s.log.InfoContext(ctx, "request refused", "code", string(fe.Code), "cause", fe.Unwrap().Error())
	}
	switch fe.Code {
	case broker.CodeIDPRejectedClaim, "RegionDisabledException":
		return c.XML(http.StatusForbidden, queryError{
			XMLNS: stsXMLNS, Type: "Sender", Code: string(fe.Code), Message: fe.Message, RequestID: RequestID(ctx),
		})
	}
	return s.writeQueryErrorNS(c, err, stsXMLNS)
}

// assumeRoleWithSAMLResult is the AssumeRoleWithSAMLResult element
// (reference §6.3).
type assumeRoleWithSAMLResult struct {
	Credentials      stsCredentials  `xml:"Credentials"`
	AssumedRoleUser  assumedRoleUser `xml:"AssumedRoleUser"`
	PackedPolicySize *int            `xml:"PackedPolicySize,omitempty"`
	Subject          string          `xml:"Subject"`
	SubjectType      string          `xml:"SubjectType"`
	Audience         string          `xml:"Audience"`
}

// assumeRoleWithSAML serves STS AssumeRoleWithSAML, unsigned like STS's
// (the SAML response is the proof), with broker.AssumeRoleWithSAML.
func (s *Server) assumeRoleWithSAML(c echo.Context, body []byte) error {
	ctx := c.Request().Context()
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return s.writeSTSError(c, fault.New("MalformedQueryString", "The request body is not a valid form."))
	}
	p := &queryParams{form: form}
	in := broker.AssumeRoleWithSAMLInput{
		RoleARN: p.str("RoleArn"), PrincipalARN: p.str("PrincipalArn"), SAMLAssertion: p.str("SAMLAssertion"),
		Policy: p.str("Policy"), DurationSeconds: p.integer("DurationSeconds"),
	}
	if len(p.structList("PolicyArns")) > 0 {
		p.fail(fault.New(fault.ValidationError, "PolicyArns is not supported; pass an inline Policy."))
	}
	if p.err != nil {
		return s.writeSTSError(c, p.err)
	}
	out, err := s.cfg.Broker.AssumeRoleWithSAML(ctx, in)
	if err != nil {
		return s.writeSTSError(c, err)
	}
	packed := out.PackedPolicySize
	return c.XML(http.StatusOK, queryResponse{
		XMLName: xml.Name{Local: "AssumeRoleWithSAMLResponse"}, XMLNS: stsXMLNS,
		Result: &queryResult{name: "AssumeRoleWithSAMLResult", body: assumeRoleWithSAMLResult{
			Credentials: stsCredentials{
				AccessKeyID: out.Credentials.AccessKeyID, SecretAccessKey: out.Credentials.SecretKey,
				SessionToken: out.Credentials.SessionToken,
				Expiration:   out.Credentials.Expiration.UTC().Format(time.RFC3339),
			},
			AssumedRoleUser:  assumedRoleUser{Arn: out.AssumedRoleUser.ARN, AssumedRoleID: out.AssumedRoleUser.AssumedRoleID},
			PackedPolicySize: &packed,
			Subject:          out.SubjectFromWebIdentityToken,
			SubjectType:      "persistent",
			Audience:         out.Audience,
		}},
		Metadata: responseMetadata{RequestID: RequestID(ctx)},
	})
}
