package userpool

import (
	"context"
	"encoding/base64"
	"errors"
	"maps"
	"regexp"
	"slices"

	"github.com/cognate-dev/cognate/internal/ids"
	"github.com/cognate-dev/cognate/storage"
)

// Pool MFA configurations (cognito-idp UserPoolMfaType).
const (
	MFAOff      = "OFF"
	MFAOptional = "OPTIONAL"
	MFAOn       = "ON"
)

// PoolIDPattern is the model's pattern for a user pool ID.
var PoolIDPattern = regexp.MustCompile(`^[\w-]+_[0-9a-zA-Z]+$`)

// CreatePoolInput describes a new pool (cognito-idp CreateUserPool, the
// members Cognate supports).
type CreatePoolInput struct {
	Name string
	// PasswordPolicy nil means DefaultPasswordPolicy. A MinimumLength of 0
	// means 8 and a TemporaryPasswordValidityDays of 0 means 7, as in Cognito.
	PasswordPolicy *PasswordPolicy
	// UsernameAttributes ("email", "phone_number") make those attributes the
	// sign-in name; the stored username is then the user's sub (a UUID).
	UsernameAttributes     []string
	AutoVerifiedAttributes []string
	// MFAConfiguration is "OFF" (the default), "OPTIONAL" or "ON"; with MFA,
	// the software token (TOTP) factor is enabled.
	MFAConfiguration string
	// Triggers is the LambdaConfig: trigger name (Trigger* constants) → an
	// http(s) webhook URL or a Lambda ARN mapped by TriggerConfig.Functions,
	// plus TriggerPreTokenGenerationVersion. See CheckTriggers.
	Triggers map[string]string
	Tags     map[string]string
}

// CreatePool creates a user pool with a fresh "<region>_<id>" ID.
func (s *Service) CreatePool(ctx context.Context, in CreatePoolInput) (Pool, error) {
	if in.Name == "" || len(in.Name) > 128 {
		return Pool{}, invalidParam("PoolName must be 1 to 128 characters.")
	}
	policy, err := passwordPolicy(in.PasswordPolicy)
	if err != nil {
		return Pool{}, err
	}
	usernameAttrs, err := verifiableAttributes("UsernameAttributes", in.UsernameAttributes)
	if err != nil {
		return Pool{}, err
	}
	if _, ok := s.store.(UserFinder); len(usernameAttrs) > 0 && !ok {
		return Pool{}, invalidParam("UsernameAttributes are not supported by this storage backend yet.")
	}
	autoVerified, err := verifiableAttributes("AutoVerifiedAttributes", in.AutoVerifiedAttributes)
	if err != nil {
		return Pool{}, err
	}
	mfa, err := mfaConfiguration(in.MFAConfiguration)
	if err != nil {
		return Pool{}, err
	}
	triggers, err := s.CheckTriggers(in.Triggers)
	if err != nil {
		return Pool{}, err
	}
	now := s.now().UTC()
	p := Pool{
		Name:                   in.Name,
		PasswordPolicy:         policy,
		UsernameAttributes:     usernameAttrs,
		AutoVerifiedAttributes: autoVerified,
		MFAConfiguration:       mfa,
		// TOTP is the second factor Cognate offers (no SMS), so a pool
		// created with MFA has it enabled.
		SoftwareTokenMFA: mfa != MFAOff,
		Triggers:         triggers,
		Tags:             maps.Clone(in.Tags),
		CreatedAt:        now,
		UpdatedAt:        now,
	}
	// IDs are random; a collision is astronomically unlikely but cheap to retry.
	for range 5 {
		p.ID = ids.UserPoolID(s.region)
		err = s.store.CreatePool(ctx, p)
		if !errors.Is(err, storage.ErrAlreadyExists) {
			break
		}
	}
	if err != nil {
		return Pool{}, internal(err, "create pool")
	}
	s.log.InfoContext(ctx, "userpool: pool created", "pool", p.ID, "name", p.Name)
	return p, nil
}

// passwordPolicy normalises a requested password policy: nil means
// DefaultPasswordPolicy, a MinimumLength of 0 means 8 and a
// TemporaryPasswordValidityDays of 0 means 7, as in Cognito.
func passwordPolicy(in *PasswordPolicy) (PasswordPolicy, error) {
	policy := DefaultPasswordPolicy
	if in != nil {
		policy = *in
		if policy.MinimumLength == 0 {
			policy.MinimumLength = 8
		}
		if policy.TemporaryPasswordValidityDays == 0 {
			policy.TemporaryPasswordValidityDays = 7
		}
	}
	if policy.MinimumLength < 6 || policy.MinimumLength > 99 {
		return PasswordPolicy{}, invalidParam("Password policy MinimumLength must be between 6 and 99.")
	}
	if policy.TemporaryPasswordValidityDays < 0 || policy.TemporaryPasswordValidityDays > 365 {
		return PasswordPolicy{}, invalidParam("Password policy TemporaryPasswordValidityDays must be between 0 and 365.")
	}
	return policy, nil
}

// mfaConfiguration normalises MfaConfiguration: "" means OFF.
func mfaConfiguration(mfa string) (string, error) {
	switch mfa {
	case "":
		return MFAOff, nil
	case MFAOff, MFAOptional, MFAOn:
		return mfa, nil
	default:
		return "", invalidParam("MfaConfiguration must be OFF, ON or OPTIONAL.")
	}
}

// UpdatePoolInput is cognito-idp UpdateUserPool, the members Cognate
// supports. As in Cognito, a member left out is reset to its default
// (reference: the UpdateUserPool warning "If you don't provide a value for
// an attribute, Amazon Cognito sets it to its default value"), except Name
// and Tags, which stay as they are when left out.
type UpdatePoolInput struct {
	PoolID string
	// Name, when not empty, renames the pool.
	Name string
	// PasswordPolicy nil resets the policy to DefaultPasswordPolicy.
	PasswordPolicy         *PasswordPolicy
	AutoVerifiedAttributes []string
	// MFAConfiguration "" resets MFA to OFF.
	MFAConfiguration string
	// Triggers nil removes every trigger (see CreatePoolInput.Triggers).
	Triggers map[string]string
	// Tags, when not nil, replace the pool's tags.
	Tags map[string]string
}

// UpdatePool replaces the settings of a pool (cognito-idp UpdateUserPool).
// UsernameAttributes cannot change, as in Cognito. Errors:
// ResourceNotFoundException, InvalidParameterException.
func (s *Service) UpdatePool(ctx context.Context, in UpdatePoolInput) (Pool, error) {
	p, err := s.GetPool(ctx, in.PoolID)
	if err != nil {
		return Pool{}, err
	}
	if in.Name != "" {
		if len(in.Name) > 128 {
			return Pool{}, invalidParam("PoolName must be 1 to 128 characters.")
		}
		p.Name = in.Name
	}
	if p.PasswordPolicy, err = passwordPolicy(in.PasswordPolicy); err != nil {
		return Pool{}, err
	}
	if p.AutoVerifiedAttributes, err = verifiableAttributes("AutoVerifiedAttributes", in.AutoVerifiedAttributes); err != nil {
		return Pool{}, err
	}
	mfa, err := mfaConfiguration(in.MFAConfiguration)
	if err != nil {
		return Pool{}, err
	}
	if mfa != MFAOff {
		// TOTP is the second factor Cognate offers, so turning MFA on
		// enables it (as CreatePool does); turning MFA off keeps the
		// factor's setting for later.
		p.SoftwareTokenMFA = true
	}
	p.MFAConfiguration = mfa
	if p.Triggers, err = s.CheckTriggers(in.Triggers); err != nil {
		return Pool{}, err
	}
	if in.Tags != nil {
		p.Tags = maps.Clone(in.Tags)
	}
	p.UpdatedAt = s.now().UTC()
	if err := s.store.UpdatePool(ctx, p); err != nil {
		if isNotFound(err) {
			return Pool{}, errPoolNotFound(in.PoolID)
		}
		return Pool{}, internal(err, "update pool")
	}
	s.log.InfoContext(ctx, "userpool: pool updated", "pool", p.ID)
	return p, nil
}

// verifiableAttributes checks a list drawn from {email, phone_number} and
// removes duplicates.
func verifiableAttributes(member string, in []string) ([]string, error) {
	var out []string
	for _, a := range in {
		if a != "email" && a != "phone_number" {
			return nil, invalidParam("%s may only contain email and phone_number.", member)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out, nil
}

// GetPool returns a pool or ResourceNotFoundException.
func (s *Service) GetPool(ctx context.Context, id string) (Pool, error) {
	if !PoolIDPattern.MatchString(id) {
		return Pool{}, errPoolNotFound(id)
	}
	return s.pool(ctx, id)
}

// ListPools returns up to max pools (1–60) ordered by ID, starting after the
// position nextToken encodes, and the token for the next page ("" at the end).
func (s *Service) ListPools(ctx context.Context, nextToken string, max int) ([]Pool, string, error) {
	if max < 1 || max > 60 {
		return nil, "", invalidParam("MaxResults must be between 1 and 60.")
	}
	after := ""
	if nextToken != "" {
		b, err := base64.RawURLEncoding.DecodeString(nextToken)
		if err != nil || !PoolIDPattern.Match(b) {
			return nil, "", invalidParam("Invalid NextToken.")
		}
		after = string(b)
	}
	pools, err := s.store.ListPools(ctx, after, max+1)
	if err != nil {
		return nil, "", internal(err, "list pools")
	}
	next := ""
	if len(pools) > max {
		pools = pools[:max]
		next = base64.RawURLEncoding.EncodeToString([]byte(pools[max-1].ID))
	}
	return pools, next, nil
}

// DeletePool deletes a pool with its clients, users and refresh tokens.
func (s *Service) DeletePool(ctx context.Context, id string) error {
	if !PoolIDPattern.MatchString(id) {
		return errPoolNotFound(id)
	}
	err := s.store.DeletePool(ctx, id)
	if isNotFound(err) {
		return errPoolNotFound(id)
	}
	if err != nil {
		return internal(err, "delete pool")
	}
	s.log.InfoContext(ctx, "userpool: pool deleted", "pool", id)
	return nil
}
