variable "log_group_arn" {
  type = string
}

resource "aws_api_gateway_stage" "good_literal" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "prod"

  access_log_settings {
    # The trailing `:*` is what the console and GetAtt show; API Gateway accepts it.
    destination_arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/vendedlogs/apigateway/api:*"
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}

resource "aws_api_gateway_stage" "good_variable" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = "test"

  access_log_settings {
    destination_arn = var.log_group_arn # unresolved: not judged
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}

resource "aws_apigatewayv2_stage" "good_firehose" {
  api_id = aws_apigatewayv2_api.api.id
  name   = "prod"

  access_log_settings {
    destination_arn = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/amazon-apigateway-access"
    format          = jsonencode({ requestId = "$context.requestId" })
  }
}
