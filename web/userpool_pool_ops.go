package web

import (
	"context"

	"github.com/cognate-dev/cognate/internal/fault"
	"github.com/cognate-dev/cognate/userpool"
)

// lambdaVersionConfigShape is PreTokenGenerationVersionConfigType (and the
// custom sender configurations, which Cognate refuses).
type lambdaVersionConfigShape struct {
	LambdaVersion string `json:"LambdaVersion"`
	LambdaArn     string `json:"LambdaArn"`
}

// lambdaConfigShape is cognito-idp LambdaConfigType. Each trigger member
// holds a Lambda ARN that the server maps to a webhook URL, or the webhook
// URL itself (userpool/triggers.go).
type lambdaConfigShape struct {
	PreSignUp                   string                    `json:"PreSignUp,omitempty"`
	CustomMessage               string                    `json:"CustomMessage,omitempty"`
	PostConfirmation            string                    `json:"PostConfirmation,omitempty"`
	PreAuthentication           string                    `json:"PreAuthentication,omitempty"`
	PostAuthentication          string                    `json:"PostAuthentication,omitempty"`
	DefineAuthChallenge         string                    `json:"DefineAuthChallenge,omitempty"`
	CreateAuthChallenge         string                    `json:"CreateAuthChallenge,omitempty"`
	VerifyAuthChallengeResponse string                    `json:"VerifyAuthChallengeResponse,omitempty"`
	PreTokenGeneration          string                    `json:"PreTokenGeneration,omitempty"`
	PreTokenGenerationConfig    *lambdaVersionConfigShape `json:"PreTokenGenerationConfig,omitempty"`
	UserMigration               string                    `json:"UserMigration,omitempty"`
	CustomSMSSender             *lambdaVersionConfigShape `json:"CustomSMSSender,omitempty"`
	CustomEmailSender           *lambdaVersionConfigShape `json:"CustomEmailSender,omitempty"`
	InboundFederation           *lambdaVersionConfigShape `json:"InboundFederation,omitempty"`
	KMSKeyID                    string                    `json:"KMSKeyID,omitempty"`
}

// members pairs each plain trigger member with its trigger name.
func (l *lambdaConfigShape) members() []struct {
	name string
	v    *string
} {
	return []struct {
		name string
		v    *string
	}{
		{userpool.TriggerPreSignUp, &l.PreSignUp},
		{userpool.TriggerCustomMessage, &l.CustomMessage},
		{userpool.TriggerPostConfirmation, &l.PostConfirmation},
		{userpool.TriggerPreAuthentication, &l.PreAuthentication},
		{userpool.TriggerPostAuthentication, &l.PostAuthentication},
		{userpool.TriggerDefineAuthChallenge, &l.DefineAuthChallenge},
		{userpool.TriggerCreateAuthChallenge, &l.CreateAuthChallenge},
		{userpool.TriggerVerifyAuthChallengeResponse, &l.VerifyAuthChallengeResponse},
		{userpool.TriggerPreTokenGeneration, &l.PreTokenGeneration},
		{userpool.TriggerUserMigration, &l.UserMigration},
	}
}

// check reports shape violations (lengths, the version enum) as AWS does.
func (c *shapeCheck) lambdaConfig(l *lambdaConfigShape) {
	if l == nil {
		return
	}
	for _, m := range l.members() {
		c.str("lambdaConfig."+lowerFirst(m.name), *m.v, 20, 2048, nil)
	}
	if p := l.PreTokenGenerationConfig; p != nil {
		if c.required("lambdaConfig.preTokenGenerationConfig.lambdaArn", p.LambdaArn) {
			c.str("lambdaConfig.preTokenGenerationConfig.lambdaArn", p.LambdaArn, 20, 2048, nil)
		}
		if c.required("lambdaConfig.preTokenGenerationConfig.lambdaVersion", p.LambdaVersion) {
			c.enum("lambdaConfig.preTokenGenerationConfig.lambdaVersion", p.LambdaVersion,
				[]string{userpool.PreTokenV1, userpool.PreTokenV2, userpool.PreTokenV3})
		}
	}
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]|0x20) + s[1:]
}

// triggersFromShape converts a LambdaConfig to userpool's trigger map.
// Members Cognate cannot honour (custom senders, KMS key, inbound
// federation) are refused rather than silently ignored.
func triggersFromShape(l *lambdaConfigShape) (map[string]string, error) {
	if l == nil {
		return nil, nil
	}
	if l.CustomSMSSender != nil || l.CustomEmailSender != nil || l.KMSKeyID != "" || l.InboundFederation != nil {
		return nil, fault.New(fault.InvalidParameter,
			"LambdaConfig CustomSMSSender, CustomEmailSender, KMSKeyID and InboundFederation are not supported by Cognate.")
	}
	out := map[string]string{}
	for _, m := range l.members() {
		if *m.v != "" {
			out[m.name] = *m.v
		}
	}
	if p := l.PreTokenGenerationConfig; p != nil {
		if l.PreTokenGeneration != "" && l.PreTokenGeneration != p.LambdaArn {
			return nil, fault.New(fault.InvalidParameter,
				"PreTokenGeneration and PreTokenGenerationConfig.LambdaArn must be the same when both are set.")
		}
		out[userpool.TriggerPreTokenGeneration] = p.LambdaArn
		out[userpool.TriggerPreTokenGenerationVersion] = p.LambdaVersion
	}
	return out, nil
}

// lambdaConfigOut renders a pool's triggers as DescribeUserPool's
// LambdaConfig: the values as set, and PreTokenGenerationConfig beside
// PreTokenGeneration (as Cognito reports both).
func lambdaConfigOut(t map[string]string) lambdaConfigShape {
	var l lambdaConfigShape
	for _, m := range l.members() {
		*m.v = t[m.name]
	}
	if l.PreTokenGeneration != "" {
		v := t[userpool.TriggerPreTokenGenerationVersion]
		if v == "" {
			v = userpool.PreTokenV1
		}
		l.PreTokenGenerationConfig = &lambdaVersionConfigShape{LambdaVersion: v, LambdaArn: l.PreTokenGeneration}
	}
	return l
}

type updateUserPoolInput struct {
	UserPoolID         string `json:"UserPoolId"`
	PoolName           string `json:"PoolName"`
	DeletionProtection string `json:"DeletionProtection"`
	poolSettingsInput
}

// poolSettingsOperations are UpdateUserPool and the trigger settings.
func (s *Server) poolSettingsOperations(up *userpool.Service) map[string]op {
	return map[string]op{
		// UpdateUserPool replaces the pool's settings; as in Cognito, a
		// member left out returns to its default (LambdaConfig: no
		// triggers; Policies: the default password policy; MFA: OFF),
		// except PoolName and UserPoolTags, which stay when left out.
		"UpdateUserPool": opFunc(true, func(ctx context.Context, in updateUserPoolInput) (any, error) {
			var c shapeCheck
			c.userPoolID(in.UserPoolID)
			c.str("poolName", in.PoolName, 1, 128, reName)
			c.enum("deletionProtection", in.DeletionProtection, []string{"ACTIVE", "INACTIVE"})
			policy := in.check(&c)
			if err := c.err(); err != nil {
				return nil, err
			}
			if err := in.unsupported(); err != nil {
				return nil, err
			}
			triggers, err := triggersFromShape(in.LambdaConfig)
			if err != nil {
				return nil, err
			}
			if _, err := up.UpdatePool(ctx, userpool.UpdatePoolInput{
				PoolID: in.UserPoolID, Name: in.PoolName, PasswordPolicy: policy,
				AutoVerifiedAttributes: in.AutoVerifiedAttributes, MFAConfiguration: in.MfaConfiguration,
				Triggers: triggers, Tags: in.UserPoolTags,
			}); err != nil {
				return nil, err
			}
			return struct{}{}, nil
		}),
	}
}
