package web

import (
	"encoding/xml"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cognate-dev/cognate/internal/fault"
)

// STS on the query protocol (API version 2011-06-15, SigV4 service "sts"),
// signed with Cognate credentials rather than the admin's.

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

// handleSTS serves the STS actions Cognate has: GetCallerIdentity, which
// answers the assumed-role ARN, "<role ID>:<session name>" and the account
// of the credentials that signed the request (broker.CallerIdentity).
func (s *Server) handleSTS(c echo.Context, body []byte, action string) error {
	req := c.Request()
	if action != "GetCallerIdentity" {
		return s.writeQueryErrorNS(c, fault.New("InvalidAction", "Could not find operation %s for version %s.", action, stsVersion), stsXMLNS)
	}
	id, err := s.cfg.Broker.CallerIdentity(req.Context(), req, body)
	if err != nil {
		return s.writeQueryErrorNS(c, err, stsXMLNS)
	}
	s.log.InfoContext(req.Context(), "caller identity", "identity_id", id.IdentityID, "arn", id.ARN)
	return c.XML(http.StatusOK, getCallerIdentityResponse{
		XMLNS: stsXMLNS, Arn: id.ARN, UserID: id.UserID, Account: id.Account,
		Metadata: responseMetadata{RequestID: RequestID(req.Context())},
	})
}
