{{/* Chart name, overridable. */}}
{{- define "herald.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of every resource name: the release name, plus the chart name unless the release name has it. */}}
{{- define "herald.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "herald.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels on every object. Call with (dict "ctx" $ "component" "controller"). */}}
{{- define "herald.labels" -}}
helm.sh/chart: {{ include "herald.chart" .ctx }}
{{ include "herald.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: herald
{{- end -}}

{{/* Labels that select a component's pods; never change them (Deployment/DaemonSet selectors are immutable). */}}
{{- define "herald.selectorLabels" -}}
app.kubernetes.io/name: {{ include "herald.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end -}}

{{- define "herald.controller.fullname" -}}
{{- printf "%s-controller" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herald.speaker.fullname" -}}
{{- printf "%s-speaker" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herald.controller.serviceAccountName" -}}
{{- if .Values.controller.serviceAccount.create -}}
{{- default (include "herald.controller.fullname" .) .Values.controller.serviceAccount.name -}}
{{- else -}}
{{- required "controller.serviceAccount.name is required when controller.serviceAccount.create is false" .Values.controller.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "herald.speaker.serviceAccountName" -}}
{{- if .Values.speaker.serviceAccount.create -}}
{{- default (include "herald.speaker.fullname" .) .Values.speaker.serviceAccount.name -}}
{{- else -}}
{{- required "speaker.serviceAccount.name is required when speaker.serviceAccount.create is false" .Values.speaker.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap both programs watch (key config.yaml). */}}
{{- define "herald.configMapName" -}}
{{- if .Values.existingConfigMap -}}
{{- .Values.existingConfigMap -}}
{{- else -}}
{{- printf "%s-config" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "herald.leaseName" -}}
{{- default (include "herald.controller.fullname" .) .Values.controller.leaderElection.leaseName -}}
{{- end -}}

{{/* repository:tag or repository@digest. Call with (dict "image" .Values.x.image "ctx" $). */}}
{{- define "herald.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .ctx.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/* host:port for --metrics-address; IPv6 hosts are bracketed. Call with a metrics values map. */}}
{{- define "herald.metricsAddress" -}}
{{- if contains ":" .address -}}
{{- printf "[%s]:%d" .address (int .port) -}}
{{- else -}}
{{- printf "%s:%d" .address (int .port) -}}
{{- end -}}
{{- end -}}

{{/* True ("true") when the speaker must bind a privileged port and so needs NET_BIND_SERVICE as root. */}}
{{- define "herald.speaker.privilegedPort" -}}
{{- if lt (int .Values.speaker.bgp.listenPort) 1024 -}}true{{- end -}}
{{- end -}}

{{- define "herald.metricsServiceEnabled" -}}
{{- if or .Values.metrics.service.enabled .Values.metrics.serviceMonitor.enabled -}}true{{- end -}}
{{- end -}}

{{/* "true" when /metrics and /status need TLS and a token (metrics.auth: kubernetes). */}}
{{- define "herald.metricsSecure" -}}
{{- if eq .Values.metrics.auth "kubernetes" -}}true{{- end -}}
{{- end -}}

{{/* The Secret holding the metrics serving certificate (tls.crt, tls.key, ca.crt). */}}
{{- define "herald.metricsTlsSecretName" -}}
{{- default (printf "%s-metrics-tls" (include "herald.fullname" .)) .Values.metrics.tls.existingSecret -}}
{{- end -}}

{{/* DNS name a client verifies a component's metrics certificate against. Call with (dict "ctx" $ "component" "speaker"). */}}
{{- define "herald.metricsServerName" -}}
{{- printf "%s-%s-metrics.%s.svc" (include "herald.fullname" .ctx) .component .ctx.Release.Namespace -}}
{{- end -}}

{{/* ServiceAccount whose token the chart's ServiceMonitors/PodMonitors scrape with. */}}
{{- define "herald.metricsScraperName" -}}
{{- printf "%s-metrics-scraper" (include "herald.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "herald.monitorsEnabled" -}}
{{- if or .Values.metrics.serviceMonitor.enabled .Values.metrics.podMonitor.enabled -}}true{{- end -}}
{{- end -}}

{{/* Serving flags and the certificate mount, shared by both workloads. Call with (dict "ctx" $ "component" "speaker" "values" $s). */}}
{{- define "herald.servingArgs" -}}
- --metrics-address={{ include "herald.metricsAddress" .values.metrics }}
- --health-address={{ if eq .component "speaker" }}127.0.0.1{{ else }}0.0.0.0{{ end }}:{{ .values.health.port }}
- --metrics-auth={{ .ctx.Values.metrics.auth }}
{{- if include "herald.metricsSecure" .ctx }}
- --tls-cert-file=/etc/herald/metrics-tls/tls.crt
- --tls-key-file=/etc/herald/metrics-tls/tls.key
- --metrics-authz-name={{ include (printf "herald.%s.fullname" .component) .ctx }}
{{- end }}
{{- end -}}

{{/* ClusterRole rules to check a scraper's token (metrics.auth: kubernetes): system:auth-delegator's two verbs. */}}
{{- define "herald.tokenReviewRules" -}}
{{- if include "herald.metricsSecure" . }}
# /metrics and /status: is this bearer token valid (TokenReview), may its user read them (SubjectAccessReview).
- apiGroups: ["authentication.k8s.io"]
  resources: ["tokenreviews"]
  verbs: ["create"]
- apiGroups: ["authorization.k8s.io"]
  resources: ["subjectaccessreviews"]
  verbs: ["create"]
{{- end }}
{{- end -}}

{{/* A monitor endpoint's scheme, TLS and bearer token (metrics.auth: kubernetes). Call with (dict "ctx" $ "component" "speaker"). */}}
{{- define "herald.monitorTls" -}}
{{- if include "herald.metricsSecure" .ctx }}
scheme: https
tlsConfig:
  serverName: {{ include "herald.metricsServerName" . }}
  ca:
    {{- if .ctx.Values.metrics.tls.existingSecret }}
    secret:
      name: {{ .ctx.Values.metrics.tls.existingSecret }}
      key: ca.crt
    {{- else }}
    configMap:
      name: {{ include "herald.fullname" .ctx }}-metrics-ca
      key: ca.crt
    {{- end }}
authorization:
  type: Bearer
  credentials:
    name: {{ include "herald.metricsScraperName" .ctx }}-token
    key: token
{{- end }}
{{- end -}}

{{/* The Secret holding the speakers' heartbeat key (layer-2 mode): the user's, or the one the chart makes. */}}
{{- define "herald.l2KeySecretName" -}}
{{- default (printf "%s-l2-key" (include "herald.fullname" .) | trunc 63 | trimSuffix "-") .Values.speaker.l2.existingSecret -}}
{{- end -}}

{{/*
The Secrets the speaker may read, as a JSON list: every config.peers[].passwordSecretRef.name plus
rbac.speakerSecrets (for an existingConfigMap, whose references the chart cannot see), sorted, unique.
*/}}
{{- define "herald.speakerSecretNames" -}}
{{- $names := list -}}
{{- range .Values.config.peers -}}
{{- if and .passwordSecretRef .passwordSecretRef.name -}}
{{- $names = append $names .passwordSecretRef.name -}}
{{- end -}}
{{- end -}}
{{- range .Values.rbac.speakerSecrets -}}
{{- $names = append $names . -}}
{{- end -}}
{{- $names | uniq | sortAlpha | toJson -}}
{{- end -}}
