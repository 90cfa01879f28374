"""Users, API keys and tokens as the API takes and gives them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from service_core.auth.domain import Role, account_problem, normalize_email, password_problem

Email = Annotated[str, Field(max_length=254, examples=["dispatch@example.com"]), AfterValidator(normalize_email)]


class UserCreate(BaseModel):
    email: Email
    full_name: str = Field(default="", max_length=200)
    password: str = Field(min_length=1, max_length=256, repr=False)
    role: Role = Role.VIEWER
    account_id: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="the customer account of a customer user (role customer only)"
    )

    @field_validator("password")
    @classmethod
    def _password_is_acceptable(cls, password: str, info: ValidationInfo) -> str:
        problem = password_problem(password, email=info.data.get("email"))
        if problem is not None:
            raise ValueError(f"password {problem}")
        return password

    @model_validator(mode="after")
    def _account_fits_role(self) -> UserCreate:
        problem = account_problem(self.role, self.account_id)
        if problem is not None:
            raise ValueError(problem)
        return self


class UserPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    role: Role
    account_id: int | None = None
    is_active: bool
    created_at: datetime


class Token(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="seconds until the token expires")


class ApiKeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["erp-sync"])
    role: Role = Role.VIEWER
    expires_at: AwareDatetime | None = None

    @field_validator("role")
    @classmethod
    def _not_a_customer(cls, role: Role) -> Role:
        if role is Role.CUSTOMER:
            raise ValueError("API keys are for integrations; a customer gets a user (POST /users)")
        return role


class ApiKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    created_by: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="the whole key; shown only in this answer, store it now")


class PrincipalPublic(BaseModel):
    kind: Literal["user", "api_key"]
    id: int
    name: str
    role: Role
    email: str | None
    account_id: int | None = None
