package broker

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/storage"
)

// DefaultGuestPolicy is the session (scope-down) policy guest credentials
// carry when the pool sets none. Like Cognito's enhanced flow (Cognito
// Developer Guide, "Identity pools authentication flow", scope-down policy
// for unauthenticated identities; reference §4.8), it limits guests to the
// services that list names, whatever the unauthenticated role allows;
// effective permissions are the role's policies intersected with it.
const DefaultGuestPolicy = `{"Version":"2012-10-17","Statement":[{"Sid":"CognitoGuestScopeDown","Effect":"Allow","Action":[` +
	`"firehose:*","kinesisanalytics:*","sqs:*","sumerian:View*","mobileanalytics:*","ses:*","lambda:*",` +
	`"kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*",` +
	`"dynamodb:*","sdb:*","appsync:*","geo:*","sns:*","gamelift:*","iot:*","codewhisperer:*","comprehend:*",` +
	`"lex:*","machinelearning:*","personalize:*","polly:*","rekognition:*","sagemaker:InvokeEndpoint",` +
	`"textract:DetectDocumentText","textract:AnalyzeDocument","transcribe:*","translate:*",` +
	`"cloudwatch:*","logs:*","execute-api:*","cognito-identity:*","cognito-idp:*","cognito-sync:*",` +
	`"s3:*","rum:PutRumEvents","mobiletargeting:*"],"Resource":"*"}]}`

// maxGuestPolicy bounds a pool's guest policy, in characters.
const maxGuestPolicy = 10240

// SetGuestPolicy sets the session policy applied on top of the
// unauthenticated role for guests of pool poolID; "" restores
// DefaultGuestPolicy. Credentials minted before keep the policy they were
// minted with. Errors: ResourceNotFoundException, ValidationException,
// MalformedPolicyDocument (with the parser's reason).
func (s *Service) SetGuestPolicy(ctx context.Context, poolID, doc string) error {
	p, err := s.Pool(ctx, poolID)
	if err != nil {
		return err
	}
	if utf8.RuneCountInString(doc) > maxGuestPolicy {
		return validationError("", "policyDocument", "Member must have length less than or equal to 10240")
	}
	if doc != "" {
		if _, err := s.policies.permission(doc); err != nil {
			return fault.New(fault.MalformedPolicyDocument, "%s", err.Error())
		}
	}
	p.GuestPolicy = doc
	p.UpdatedAt = s.now().UTC()
	if err := s.store.UpdatePool(ctx, p); errors.Is(err, storage.ErrNotFound) {
		return poolNotFound(poolID)
	} else if err != nil {
		return fault.Internalf(err, "set guest policy")
	}
	return nil
}

// GuestPolicy returns the guest session policy of pool poolID and whether it
// is the default. Errors: ResourceNotFoundException, ValidationException.
func (s *Service) GuestPolicy(ctx context.Context, poolID string) (doc string, isDefault bool, err error) {
	p, err := s.Pool(ctx, poolID)
	if err != nil {
		return "", false, err
	}
	if p.GuestPolicy == "" {
		return DefaultGuestPolicy, true, nil
	}
	return p.GuestPolicy, false, nil
}
